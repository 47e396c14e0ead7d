/**
 * See what a client does: `debug: true` prints each request, response,
 * retry and rate-limit wait (never a key or token); `onEvent` gets the same
 * as objects, e.g. to show progress during a long rate-limit wait. Runs
 * against the emulator with a fault on the first request.
 *
 * ```sh
 * npx deno run --no-prompt examples/debug.ts
 * ```
 *
 * @module
 */
import { PrimeIntellect, type SandgateEvent } from "sandgate";
import { createEmulator } from "sandgate/testing";

const emulator = createEmulator({
  faults: { decide: ({ index }) => (index === 0 ? "503" : undefined) },
});
const seen: SandgateEvent["type"][] = [];
const prime = new PrimeIntellect({
  apiKey: "demo-key",
  fetch: emulator.fetch,
  debug: true,
  onEvent: (event) => seen.push(event.type),
  retry: { baseDelayMs: 10, maxDelayMs: 10 },
});
console.log("exposures:", await prime.sandbox("my-sandbox").listExposures());
console.log("events:", seen.join(", "));
