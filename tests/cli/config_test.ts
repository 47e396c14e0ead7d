// Configuration as a CLI user meets it: a wrongly typed option is named as such (not "no API
// key"), even with the key in the environment.
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ConfigError, MissingApiKeyError, PrimeIntellect, Tensorlake } from "../../mod.ts";

test("apiKey of the wrong type says so, even with PRIME_API_KEY set", () => {
  const saved = process.env.PRIME_API_KEY;
  process.env.PRIME_API_KEY = "from-the-environment";
  try {
    for (const apiKey of [123, null, { key: "k" }, true]) {
      assert.throws(
        () => new PrimeIntellect({ apiKey } as never),
        (error: unknown) =>
          error instanceof ConfigError && !(error instanceof MissingApiKeyError) &&
          /^options\.apiKey: must be a string or a function returning one \(got \w+\)/.test(
            error.message,
          ) && !/no API key/.test(error.message),
        String(apiKey),
      );
    }
    assert.throws(
      () => new Tensorlake({ apiKey: 7 } as never),
      /options\.apiKey: must be a string/,
    );
    assert.doesNotThrow(() => new PrimeIntellect({ apiKey: () => "k" }));
  } finally {
    if (saved === undefined) delete process.env.PRIME_API_KEY;
    else process.env.PRIME_API_KEY = saved;
  }
});
