/**
 * Handle sandgate's errors: branch on the class (or, across bundled copies,
 * on `isApiError` / `error.name`), tell a client-side rate-limit refusal from
 * a server 429, and see a typo in the options caught at construction. Runs
 * against the emulator.
 *
 * ```sh
 * npx deno run --no-prompt examples/errors.ts
 * ```
 *
 * @module
 */
import {
  ConfigError,
  isApiError,
  NotFoundError,
  PrimeIntellect,
  RateLimitedError,
  Tensorlake,
} from "sandgate";
import { createEmulator } from "sandgate/testing";

const emulator = createEmulator();

// A typo in the options is a ConfigError with a suggestion, never ignored.
try {
  new PrimeIntellect({ apiKey: "demo-key", timeout: 5_000 } as never);
} catch (error) {
  if (error instanceof ConfigError) console.log(error.message);
}

// A resource that is gone: NotFoundError with { strict: true }, { alreadyGone: true } without.
const sandbox = new Tensorlake({ apiKey: "demo-key", fetch: emulator.fetch }).sandbox("my-sandbox");
console.log(await sandbox.killPty("no-such-session"));
try {
  await sandbox.killPty("no-such-session", { strict: true });
} catch (error) {
  if (error instanceof NotFoundError) console.log(error.name, error.status, error.source);
}

// Waiting for a rate-limit slot longer than maxWaitMs fails at once, nothing sent.
const prime = new PrimeIntellect({
  apiKey: "demo-key",
  fetch: emulator.fetch,
  // Two calls per window: the sandbox lookup sandgate sends once before a sandbox's first
  // port or SSH call (to refuse VM sandboxes, as Prime's own SDK does), then one listing.
  rateLimit: { limit: 2, maxWaitMs: 1_000 },
});
await prime.sandbox("my-sandbox").listExposures();
try {
  await prime.sandbox("my-sandbox").listExposures();
} catch (error) {
  if (error instanceof RateLimitedError) {
    console.log(`refused by the ${error.source}, retry in ${error.retryAfterMs} ms`);
  }
  if (isApiError(error)) console.log("isApiError works across package copies too");
}
