// Retries through the emulator's injected faults, and the client-side limiter
// keeping the emulator's over-limit count at 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NetworkError, PrimeIntellect, ServerError, Tensorlake } from "../../mod.ts";
import { createEmulator, type FaultKind, serve } from "../../src/testing/mod.ts";
import { FakeClock } from "../../src/testing/time.ts";

const FAST_RETRY = { retries: 6, baseDelayMs: 1, maxDelayMs: 4 };

test("idempotent calls ride out 5xx, HTML 502s and connection resets over loopback", async () => {
  const emulator = createEmulator({
    seed: 11,
    faults: { rate: 0.3, kinds: ["500", "502", "503", "reset", "slow"], slowMs: 5 },
  });
  await using server = await serve(emulator);
  let retries = 0;
  const prime = new PrimeIntellect({
    apiKey: "k",
    baseUrl: server.url,
    retry: FAST_RETRY,
    rateLimit: false,
    onRetry: () => retries++,
  });
  const tensorlake = new Tensorlake({
    apiKey: "k",
    retry: FAST_RETRY,
    rateLimit: false,
    onRetry: () => retries++,
  });
  for (let i = 0; i < 15; i++) {
    assert.deepEqual(await prime.sandbox("sb").listExposures(), []);
  }
  const sandbox = tensorlake.sandbox(server.url);
  for (let i = 0; i < 10; i++) assert.deepEqual(await sandbox.listPtys(), []);
  const { faults, faultsByKind, served } = emulator.stats;
  // + the sandbox lookup before the first listing (the VM check), sent once.
  assert.equal(served, 1 + 25, "every call was answered once");
  assert.ok(faults >= 5, `faults were injected (${faults})`);
  const statusFaults = (faultsByKind["500"] ?? 0) + (faultsByKind["502"] ?? 0) +
    (faultsByKind["503"] ?? 0);
  // Every 5xx was retried by the SDK. A reset on a pooled keep-alive connection
  // may instead be retried by the runtime's own HTTP client, unseen by the SDK.
  assert.ok(statusFaults > 0);
  assert.ok(retries >= statusFaults, `${retries} retries for ${statusFaults} 5xx`);
  assert.ok(retries <= faults - (faultsByKind.slow ?? 0));
});

test("a POST is never repeated blindly: a lost response leaves exactly one exposure", async () => {
  const plan: (FaultKind | null)[] = ["lost-response", "503", "reset"];
  // The plan is for the calls under test: the sandbox lookup before the first one (the VM
  // check) is left alone.
  let n = 0;
  const lookup = (request: Request) => new URL(request.url).pathname === "/api/v1/sandbox/sb";
  const emulator = createEmulator({
    faults: { decide: ({ request }) => lookup(request) ? null : plan[n++] ?? null },
  });
  // No keep-alive: a runtime's HTTP client may resend once on a reused connection's reset.
  await using server = await serve(emulator, { keepAlive: false });
  const sandbox = new PrimeIntellect({ apiKey: "k", baseUrl: server.url, retry: FAST_RETRY })
    .sandbox("sb");
  await assert.rejects(sandbox.exposePort({ port: 8000 }), NetworkError);
  assert.equal(emulator.live().exposures, 1, "processed once, not duplicated by a retry");
  await assert.rejects(sandbox.exposePort({ port: 8001 }), ServerError);
  await assert.rejects(sandbox.exposePort({ port: 8082 }), NetworkError);
  assert.equal(emulator.live().exposures, 1, "the 503 and the reset had no effect");
  assert.equal(emulator.stats.requests, 1 + 3, "no POST was retried");
  // GETs are retried through the same faults (the lookup is remembered: not sent again).
  emulator.reset();
  n = 0;
  assert.deepEqual(await sandbox.listExposures(), []);
  assert.equal(emulator.stats.requests, 4);
});

test("429 with Retry-After: the client waits the server's time (virtual clock), then succeeds", async () => {
  const clock = new FakeClock(undefined, { autoAdvance: { quietTurns: 10 } });
  const plan: (FaultKind | null)[] = ["429", "429-no-retry-after"];
  const emulator = createEmulator({
    clock,
    faults: { decide: ({ index }) => plan[index] ?? null, retryAfterSeconds: 7 },
  });
  const delays: number[] = [];
  const sandbox = new PrimeIntellect({
    apiKey: "k",
    fetch: emulator.fetch,
    clock,
    // No client budget racing the waits: an auto-advancing clock cannot see work off the
    // JavaScript thread (the key's Web Crypto hash on the first call), and would jump to it.
    timeoutMs: Infinity,
    onRetry: (info) => delays.push(info.delayMs),
  }).sandbox("sb");
  const start = clock.now();
  const exposure = await sandbox.exposePort({ port: 8000 });
  assert.equal(exposure.port, 8000);
  assert.equal(delays[0], 7000);
  assert.equal(delays.length, 2);
  assert.ok(clock.now() - start >= 7000);
  assert.equal(emulator.live().exposures, 1);
});

async function burst(clientLimit: boolean): Promise<{ overLimit: number; served: number }> {
  const clock = new FakeClock(undefined, { autoAdvance: { quietTurns: 10 } });
  // The emulator counts Prime's documented budgets (list 60 / 60 s, expose 20 / 60 s per
  // sandbox) and none on Tensorlake, whose proxy documents none.
  const emulator = createEmulator({ clock, rateLimit: { enforce: false } });
  const prime = new PrimeIntellect({
    apiKey: "k",
    fetch: emulator.fetch,
    clock,
    timeoutMs: 600_000,
    ...(clientLimit ? {} : { rateLimit: false as const }),
  });
  const tensorlake = new Tensorlake({
    apiKey: "k",
    fetch: emulator.fetch,
    clock,
    timeoutMs: 600_000,
    ...(clientLimit ? {} : { rateLimit: false as const }),
  });
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 100; i++) calls.push(prime.sandbox("a").listExposures());
  for (let i = 0; i < 25; i++) calls.push(prime.sandbox("b").exposePort({ port: 3000 + i }));
  for (let i = 0; i < 100; i++) calls.push(tensorlake.sandbox("t").listPtys());
  await Promise.all(calls);
  return { overLimit: emulator.stats.overLimit, served: emulator.stats.served };
}

test("the SDK keeps to Prime's documented per-endpoint budgets (0 over the limit, 225 calls)", async () => {
  // + one sandbox lookup (the VM check) per Prime sandbox, shared by its concurrent calls.
  const limited = await burst(true);
  assert.equal(limited.served, 2 + 225);
  assert.equal(limited.overLimit, 0);
  // The control: without the client-side limiter the same burst goes over, on Prime only.
  const unlimited = await burst(false);
  assert.equal(unlimited.served, 2 + 225);
  assert.equal(unlimited.overLimit, (100 - 60) + (25 - 20));
});

test("over loopback with a short window, the limiter keeps overLimit at 0 and nothing leaks", async () => {
  const emulator = createEmulator({ rateLimit: { limit: 5, windowMs: 150, enforce: false } });
  await using server = await serve(emulator);
  const prime = new PrimeIntellect({
    apiKey: "k",
    baseUrl: server.url,
    // The margin absorbs loopback arrival jitter (cold connections included: on Deno every
    // POST opens a connection of its own, so that it is never resent on a dropped one).
    rateLimit: { limit: 5, windowMs: 150, marginMs: 250 },
  });
  const sandbox = prime.sandbox("sb");
  const exposures = await Promise.all(
    Array.from({ length: 6 }, (_, i) => sandbox.exposePort({ port: 3000 + i })),
  );
  await Promise.all(exposures.map((e) => e.unexpose()));
  assert.equal(emulator.stats.served, 1 + 12, "the sandbox lookup, then 6 exposes and unexposes");
  assert.equal(emulator.stats.overLimit, 0);
  assert.equal(emulator.live().exposures, 0);
});
