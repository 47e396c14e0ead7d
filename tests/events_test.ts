/**
 * `onEvent` reports requests, retries and a long rate-limit wait with its progress, and `debug`
 * prints them without the key (issue 15).
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PrimeIntellect, type SandgateEvent } from "../mod.ts";
import { FakeClock } from "../src/testing/time.ts";
import { flush } from "./helpers/flush.ts";
import { answeringLookups, recordingFetch } from "./helpers/fake_fetch.ts";

test("onEvent reports requests, retries and a long rate-limit wait with progress; debug prints them", async () => {
  const clock = new FakeClock();
  const events: SandgateEvent[] = [];
  let calls = 0;
  const { fetch: answer } = recordingFetch(() =>
    ++calls === 1
      ? Response.json({ detail: "busy" }, { status: 503 })
      : Response.json({ exposures: [] })
  );
  const fetch = answeringLookups(answer);
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    const client = new PrimeIntellect({
      apiKey: "sk-debug-secret-key-0001",
      fetch,
      clock,
      timeoutMs: Infinity,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      rateLimit: { limit: 3, windowMs: 30_000, marginMs: 0 },
      onEvent: (event) => events.push(event),
      debug: true,
    });
    const sandbox = client.sandbox("sb-1");
    // The sandbox lookup sandgate sends once before the first listing (the VM check) takes
    // one call of the window; what follows is about the listings.
    const lookup = sandbox.info();
    await clock.runAllAsync();
    await lookup;
    events.length = 0;
    printed.length = 0;
    // Two attempts (503, then 200) use the window; the next call waits ~30 s.
    const first = sandbox.listExposures();
    await clock.runAllAsync();
    await first;
    const second = sandbox.listExposures();
    await clock.runAllAsync();
    await second;
    await flush();
  } finally {
    console.error = original;
  }
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 5), ["request", "response", "retry", "request", "response"]);
  const waits = events.filter((e) => e.type === "rate-limit");
  assert.ok(waits.length >= 5, `start + progress every 5 s of a ~30 s wait: ${waits.length}`);
  assert.equal(waits[0]!.elapsedMs, 0);
  assert.ok(waits[0]!.waitMs > 25_000);
  assert.deepEqual(
    waits.slice(1).map((w) => w.elapsedMs),
    waits.slice(1).map((_, i) => (i + 1) * 5000),
  );
  assert.equal(events.at(-1)?.type, "response");
  assert.equal(printed.length, events.length);
  assert.ok(printed.every((line) => line.startsWith("[sandgate] ")));
  assert.ok(printed.some((line) => /still waiting, .* left/.test(line)));
  assert.ok(!printed.join("\n").includes("sk-debug-secret-key-0001"), "no key in debug output");
});
