/**
 * Expose a port of a Prime Intellect sandbox, print its URL, list the
 * sandbox's exposures and clean up. Runs against the built-in emulator: no
 * account, key, network or Deno permission needed.
 *
 * ```sh
 * npx deno run --no-prompt examples/expose_port.ts
 * ```
 *
 * With a real account, drop `fetch` and the `apiKey` (PRIME_API_KEY is read
 * from the environment; Deno then needs --allow-net --allow-env=PRIME_API_KEY).
 *
 * @module
 */
import { PrimeIntellect } from "sandgate";
import { createEmulator } from "sandgate/testing";

const emulator = createEmulator();
const prime = new PrimeIntellect({
  apiKey: "demo-key",
  fetch: emulator.fetch,
  // Prime allows 20 exposes / unexposes / SSH sessions per minute and sandbox: a call
  // over that waits, and says what for instead of hanging silently.
  onRateLimit: ({ operation, waitMs }) =>
    console.log(`waiting ${Math.ceil(waitMs / 1000)} s for Prime's rate limit (${operation})`),
});
const sandbox = prime.sandbox("my-sandbox");

{
  await using exposure = await sandbox.exposePort({ port: 8000, name: "web" });
  console.log("exposed:", exposure.url);

  for (const listed of await sandbox.listExposures()) {
    console.log("listed:", listed.exposureId, listed.port, listed.name);
  }
} // unexposed here, even if the code above throws

console.log("live exposures after the scope:", emulator.live().exposures);
