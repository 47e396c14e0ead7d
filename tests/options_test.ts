/**
 * Unknown constructor options are a ConfigError naming the option with a did-you-mean, on every
 * client (issue 15's first-hour traps); a base URL on `new Tensorlake()` points to `proxyUrl`.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, InvalidArgumentError, PrimeIntellect, Tensorlake } from "../mod.ts";
import { createPrimeIntellectClient, createTensorlakeClient } from "../mod.ts";
import { didYouMean } from "../src/options.ts";

test("a base URL on new Tensorlake() points to proxyUrl", () => {
  for (const key of ["baseURL", "baseurl", "url"]) {
    assert.throws(
      () => new Tensorlake({ [key]: "http://127.0.0.1:1" } as never),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(
          error.message,
          new RegExp(`options\\.${key}: unknown option; did you mean \`proxyUrl\`\\?`),
        );
        return true;
      },
    );
  }
  assert.throws(
    () => new Tensorlake({ baseUrl: "http://127.0.0.1:1" } as never),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.match(error.message, /^options\.baseUrl: is per sandbox: .*; did you mean `proxyUrl`/);
      return true;
    },
  );
  // Where a baseUrl exists, baseURL still points to it.
  assert.throws(() => new PrimeIntellect({ baseURL: "x" } as never), /did you mean `baseUrl`\?/);
});

test("unknown constructor options are a ConfigError with a did-you-mean", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ timeout: 5000 }, /options\.timeout: unknown option; did you mean `timeoutMs`\?/],
    [{ retries: 2 }, /options\.retries: unknown option; did you mean `retry: \{ retries \}`\?/],
    [
      { baseURL: "http://127.0.0.1:1" },
      /options\.baseURL: unknown option; did you mean `baseUrl`\?/,
    ],
    [{ apikey: "k" }, /options\.apikey: unknown option; did you mean `apiKey`\?/],
    [
      { rateLimit: { limt: 5 } },
      /options\.rateLimit\.limt: unknown option; did you mean `limit`\?/,
    ],
    [
      { retry: { retires: 5 } },
      /options\.retry\.retires: unknown option; did you mean `retries`\?/,
    ],
    [{ zzz: 1 }, /options\.zzz: unknown option \(known: apiKey, /],
  ];
  const makers: [string, (options: never) => unknown][] = [
    ["new PrimeIntellect", (o) => new PrimeIntellect(o)],
    ["new Tensorlake", (o) => new Tensorlake(o)],
    ["createPrimeIntellectClient", (o) => createPrimeIntellectClient(o)],
    [
      "createTensorlakeClient",
      (o) => createTensorlakeClient({ sandbox: "sb", ...(o as object) } as never),
    ],
  ];
  for (const [label, make] of makers) {
    for (const [options, message] of cases) {
      // `new Tensorlake` takes no baseUrl (it is per sandbox): its proxyUrl is suggested.
      const expected = label === "new Tensorlake" && "baseURL" in options
        ? /options\.baseURL: unknown option; did you mean `proxyUrl`\?/
        : message;
      assert.throws(() => make(options as never), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${label} ${JSON.stringify(options)}: ${error}`);
        assert.match(error.message, expected, label);
        return true;
      });
    }
  }
  // The known ones still work, and Tensorlake's own.
  new Tensorlake({ apiKey: "k", proxyUrl: "https://sandbox.tensorlake.ai", debug: false });
  assert.equal(didYouMean("proxyURL", ["proxyUrl"]), "proxyUrl");
});
