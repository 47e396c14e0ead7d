// Prime Intellect's saved configuration as its CLI writes and reads it: key and base URL from
// ~/.prime/config.json after the environment, PRIME_CONTEXT selecting a saved context.
// Source: PrimeIntellect-ai/prime packages/prime-sandboxes/src/prime_sandboxes/core/config.py@66fb4b7.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrimeIntellectClient, PrimeIntellect } from "../../mod.ts";

import { recordingFetch } from "../helpers/fake_fetch.ts";
import { PRIME_ENV, withEnv } from "../helpers/env.ts";

test("Prime: key and base URL from ~/.prime/config.json after the environment", async () => {
  const home = await mkdtemp(join(tmpdir(), "sandgate-home-"));
  try {
    await mkdir(join(home, ".prime"));
    await writeFile(
      join(home, ".prime", "config.json"),
      JSON.stringify({
        api_key: "file-key",
        team_id: "team-1",
        base_url: "https://prime.example.com/api/v1",
      }),
    );
    const { requests, fetch } = recordingFetch(() => Response.json({ exposures: [] }));
    await withEnv({ ...PRIME_ENV, HOME: home, USERPROFILE: undefined }, async () => {
      await new PrimeIntellect({ fetch }).sandbox("sb").listExposures();
      await withEnv(
        { PRIME_API_KEY: "env-key", PRIME_API_BASE_URL: "https://env.example.com" },
        () => new PrimeIntellect({ fetch }).sandbox("sb").listExposures(),
      );
    });
    assert.deepEqual(requests.map((r) => [r.url, r.headers.get("authorization")]), [
      // Each client looks the sandbox up once first (the VM check), with the same settings.
      ["https://prime.example.com/api/v1/sandbox/sb", "Bearer file-key"],
      ["https://prime.example.com/api/v1/sandbox/sb/expose", "Bearer file-key"],
      ["https://env.example.com/api/v1/sandbox/sb", "Bearer env-key"],
      ["https://env.example.com/api/v1/sandbox/sb/expose", "Bearer env-key"],
    ]);
    // No file, no key: the usual missing-key error, nothing sent.
    await writeFile(join(home, ".prime", "config.json"), "not json");
    await withEnv(
      { ...PRIME_ENV, HOME: home },
      () =>
        assert.rejects(
          new PrimeIntellect({ fetch }).sandbox("sb").listExposures(),
          /PRIME_API_KEY/,
        ),
    );
    assert.equal(requests.length, 4);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test("PRIME_CONTEXT selects a saved configuration, as Prime's CLI does (core/config.py@66fb4b7)", async () => {
  const home = await mkdtemp(join(tmpdir(), "sandgate-home-"));
  try {
    await mkdir(join(home, ".prime", "environments"), { recursive: true });
    await writeFile(
      join(home, ".prime", "config.json"),
      JSON.stringify({ api_key: "root-key", base_url: "https://root.example.com" }),
    );
    // `prime config save staging` writes ~/.prime/environments/staging.json.
    await writeFile(
      join(home, ".prime", "environments", "staging.json"),
      JSON.stringify({ api_key: "staging-key", base_url: "https://staging.example.com/api/v1" }),
    );
    await writeFile(
      join(home, ".prime", "environments", "nokey.json"),
      JSON.stringify({ base_url: "https://nokey.example.com" }),
    );
    const { requests, fetch } = recordingFetch(() => Response.json({ exposures: [] }));
    const seen = () => requests.map((r) => [new URL(r.url).origin, r.headers.get("authorization")]);
    const list = (context: string | undefined, extra: Record<string, string> = {}) =>
      withEnv(
        { ...PRIME_ENV, HOME: home, USERPROFILE: undefined, PRIME_CONTEXT: context, ...extra },
        () => createPrimeIntellectClient({ fetch }).GET("/api/v1/sandbox/expose/all"),
      );
    await list(undefined);
    await list("staging");
    await list("nokey"); // no api_key there: the root file's key
    await list("PRODUCTION"); // built in: the default base URL, the root file's key
    await list("staging", { PRIME_API_KEY: "env-key", PRIME_API_BASE_URL: "http://127.0.0.1:9" });
    assert.deepEqual(seen(), [
      ["https://root.example.com", "Bearer root-key"],
      ["https://staging.example.com", "Bearer staging-key"],
      ["https://nokey.example.com", "Bearer root-key"],
      ["https://api.primeintellect.ai", "Bearer root-key"],
      ["http://127.0.0.1:9", "Bearer env-key"], // the environment still comes first
    ]);
    // A name with no saved file, or one that is not a name: a ConfigError, nothing sent.
    for (
      const [context, message] of [
        ["stagign", /PRIME_CONTEXT=stagign: there is no readable .*environments\/stagign\.json/],
        ["../config", /PRIME_CONTEXT must name a saved configuration: letters, digits, _ and -/],
      ] as const
    ) {
      await assert.rejects(list(context), (error: Error) => {
        assert.equal(error.name, "ConfigError");
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(requests.length, 5);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
