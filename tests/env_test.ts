/**
 * A missing API key says what to do where the code runs: Deno without `--allow-env`, Workers,
 * Node and Bun; and, for Prime Intellect, `prime login`'s ~/.prime/config.json where that file is
 * read (issue 15's first-hour traps).
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient, createTensorlakeClient } from "../mod.ts";
import { MissingApiKeyError } from "../src/errors.ts";
import { missingKeyAdvice } from "../src/env.ts";
import { noContent, recordingFetch } from "./helpers/fake_fetch.ts";

test("a missing key says what to do on Deno without --allow-env, on Workers, and elsewhere", () => {
  const denied = {
    Deno: {
      permissions: { querySync: () => ({ state: "prompt" }) },
      env: { get: () => undefined },
    },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", denied), /--allow-env=PRIME_API_KEY/);
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", denied), /set the/);
  const granted = { Deno: { permissions: { querySync: () => ({ state: "granted" }) } } };
  assert.match(missingKeyAdvice("PRIME_API_KEY", granted), /set the PRIME_API_KEY environment/);
  const workers = { navigator: { userAgent: "Cloudflare-Workers" } };
  assert.match(missingKeyAdvice("TENSORLAKE_API_KEY", workers), /apiKey: env\.TENSORLAKE_API_KEY/);
  const node = { process: { env: {} } };
  assert.match(missingKeyAdvice("PRIME_API_KEY", node), /`apiKey` option or set the PRIME_API_KEY/);
  const error = new MissingApiKeyError("primeintellect", "PRIME_API_KEY");
  assert.match(error.message, /^Prime Intellect: no API key: /);
});

test("a missing Prime key names ~/.prime/config.json (`prime login`) where that file is read", async () => {
  const file = { path: "~/.prime/config.json", writtenBy: "prime login" };
  // Node ≥ 20.16 and Bun (process.getBuiltinModule), Deno (readTextFileSync): the file is read.
  const node = { process: { env: {}, getBuiltinModule: () => undefined } };
  assert.match(
    missingKeyAdvice("PRIME_API_KEY", node, file),
    /set the PRIME_API_KEY environment variable, or run `prime login` \(it writes ~\/\.prime\/config\.json/,
  );
  const deno = {
    Deno: { permissions: { querySync: () => ({ state: "granted" }) }, readTextFileSync() {} },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", deno, file), /`prime login`/);
  const denied = {
    Deno: { permissions: { querySync: () => ({ state: "prompt" }) }, readTextFileSync() {} },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", denied, file), /--allow-env=PRIME_API_KEY/);
  assert.match(
    missingKeyAdvice("PRIME_API_KEY", denied, file),
    /config\.json is read with --allow-env=HOME --allow-read/,
  );
  // Edge (no file system): never read there, so never suggested.
  const workers = { navigator: { userAgent: "Cloudflare-Workers" } };
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", workers, file), /prime login|config\.json/);
  // A Node without process.getBuiltinModule (older than 20.16) does not read it either.
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", { process: { env: {} } }, file), /config/);
  // The error a client throws, on this runtime (Deno, Node ≥ 20.16, Bun all read the file):
  // the file is Prime Intellect's to name (its profile), not the error class's.
  const unsent = recordingFetch(() => noContent());
  const primeError = await createPrimeIntellectClient({ apiKey: "", fetch: unsent.fetch })
    .GET("/api/v1/sandbox/expose/all").catch((e) => e);
  assert.ok(primeError instanceof MissingApiKeyError, String(primeError));
  assert.match(primeError.message, /`prime login` \(it writes ~\/\.prime\/config\.json/);
  // Tensorlake has no such file.
  const tensorlakeError = await createTensorlakeClient({
    apiKey: "",
    baseUrl: "http://localhost",
    fetch: unsent.fetch,
  }).GET("/api/v1/pty").catch((e) => e);
  assert.ok(tensorlakeError instanceof MissingApiKeyError, String(tensorlakeError));
  assert.doesNotMatch(tensorlakeError.message, /config\.json|login/);
  assert.equal(unsent.requests.length, 0, "nothing is sent without a key");
});
