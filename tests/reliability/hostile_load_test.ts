/**
 * Heavy load and a busy process: the rate limit must hold where it counts,
 * at the server. A stalled event loop (timers firing late), a server 429
 * while calls are queued, and a Redis outage under the `"local"` policy.
 * Send times are read at the fake gateway on an injected clock; the check is
 * the server's: no 60 s window ever holds more than 20 sends.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient } from "../../mod.ts";
import type { Clock } from "../../src/util/clock.ts";
import { createRedisRateLimitStore, type RedisEval } from "../../src/rate_limit/redis/mod.ts";
import { FakeClock } from "../../src/testing/time.ts";

const PATH = "/api/v1/sandbox/{sandbox_id}/expose" as const;

function gateway(clock: Clock, answer: (index: number) => Response = () => Response.json({})) {
  const sentAt: number[] = [];
  const fetch = (request: Request): Promise<Response> => {
    void request;
    sentAt.push(clock.now());
    return Promise.resolve(answer(sentAt.length - 1));
  };
  return { sentAt, fetch };
}

/** The largest number of sends in any window of `windowMs` (the server's count). */
function busiestWindow(sentAt: readonly number[], windowMs: number): number {
  const sorted = [...sentAt].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function expose(client: ReturnType<typeof createPrimeIntellectClient>, sandbox: string) {
  return client.POST(PATH, { params: { path: { sandbox_id: sandbox } }, body: { port: 8000 } })
    .then((r) => r.response.status, (e: unknown) => e);
}

test("a 1.2 s event-loop stall does not let a 21st send into a 60 s window", async () => {
  const clock = new FakeClock();
  const server = gateway(clock);
  const client = createPrimeIntellectClient({
    apiKey: "k-stall-1234567890",
    fetch: server.fetch,
    clock,
    retry: false,
    timeoutMs: Infinity,
  });
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) calls.push(expose(client, "sb-stall"));
  await clock.tickAsync(0);
  assert.equal(server.sentAt.length, 20); // the first 20 at once, 20 queued for the next window
  clock.advance(60_500 + 1_200); // the loop is blocked when the queued slots come due
  await clock.tickAsync(0); // they wake late, all at once
  assert.equal(server.sentAt.length, 40);
  for (let i = 0; i < 20; i++) calls.push(expose(client, "sb-stall"));
  await clock.runAllAsync();
  await Promise.all(calls);
  assert.equal(server.sentAt.length, 60);
  // Was: 40 (the late sends kept their booked times, so the next 20 were booked too early).
  assert.ok(busiestWindow(server.sentAt, 60_000) <= 20, `${busiestWindow(server.sentAt, 60_000)}`);
});

test("a burst of 400 queued calls, each wake-up 60 ms of work, stays within 20 per 60 s", async () => {
  const clock = new FakeClock();
  // Each send keeps the loop busy for 60 ms: the calls of a window wake one
  // after the other, the last 1.2 s late.
  const server = gateway(clock, () => {
    clock.advance(60);
    return Response.json({});
  });
  const client = createPrimeIntellectClient({
    apiKey: "k-burst-1234567890",
    fetch: server.fetch,
    clock,
    retry: false,
    timeoutMs: Infinity,
  });
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 400; i++) calls.push(expose(client, "sb-burst"));
  await clock.runAllAsync();
  await Promise.all(calls);
  assert.equal(server.sentAt.length, 400);
  const late = server.sentAt.slice(20, 40);
  assert.equal(late.at(-1)! - late[0]!, 19 * 60, "the second window's sends are 60 ms apart");
  assert.ok(busiestWindow(server.sentAt, 60_000) <= 20, `${busiestWindow(server.sentAt, 60_000)}`);
});

test("a server 429 pause applies to calls already queued", async () => {
  const clock = new FakeClock();
  // The first send gets 429 with Retry-After: 4; everything else succeeds.
  const server = gateway(
    clock,
    (i) =>
      i === 0
        ? Response.json({ error: "slow down" }, { status: 429, headers: { "retry-after": "4" } })
        : Response.json({}),
  );
  const client = createPrimeIntellectClient({
    apiKey: "k-pause-1234567890",
    fetch: server.fetch,
    clock,
    retry: false,
    rateLimit: { limit: 2, windowMs: 1_000, marginMs: 0 },
  });
  const start = clock.now();
  const calls = [1, 2, 3, 4].map(() => expose(client, "sb-pause"));
  await clock.tickAsync(10_000);
  const statuses = await Promise.all(calls);
  assert.deepEqual(statuses, [429, 200, 200, 200]);
  // Was: the two queued calls went out at +1 s, inside the server's 4 s pause.
  const inPause = server.sentAt.slice(1).filter((t) => t > start && t < start + 4_000);
  assert.deepEqual(inPause, [], `sent at +${server.sentAt.map((t) => t - start).join(", +")} ms`);
});

test("Redis `local` failover does not double the budget: the fallback window starts full", async () => {
  const clock = new FakeClock();
  const server = gateway(clock);
  let redisUp = true;
  // A Redis that books every send at once while it is up (the fleet's 20), then dies.
  const redis: RedisEval = {
    evalsha: () => redisUp ? Promise.resolve([0, 0]) : Promise.reject(new Error("ECONNRESET")),
    eval: () => redisUp ? Promise.resolve([0, 0]) : Promise.reject(new Error("ECONNRESET")),
  };
  const store = createRedisRateLimitStore({
    client: redis,
    failurePolicy: { mode: "local", fleetSize: 2 },
    clock,
    onStoreError() {},
  });
  const client = createPrimeIntellectClient({
    apiKey: "k-failover-1234567",
    fetch: server.fetch,
    clock,
    retry: false,
    timeoutMs: Infinity,
    rateLimit: { store },
  });
  const start = clock.now();
  await Promise.all(Array.from({ length: 20 }, () => expose(client, "sb-failover")));
  assert.equal(server.sentAt.length, 20);
  redisUp = false;
  const later = Array.from({ length: 20 }, () => expose(client, "sb-failover"));
  await clock.tickAsync(1_000);
  // Was: 10 more at once (20 / fleetSize 2), 30 in the window from this process alone.
  assert.equal(server.sentAt.length, 20, "the fallback sent inside the window Redis had filled");
  await clock.tickAsync(200_000);
  assert.ok((await Promise.all(later)).every((s) => s === 200));
  assert.ok(server.sentAt.slice(20).every((t) => t >= start + 60_500));
  assert.ok(busiestWindow(server.sentAt.slice(20), 60_000) <= 10);
});
