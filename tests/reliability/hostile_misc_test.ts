/**
 * Hostile values and the caller's own code: timer values of 2³¹ ms and more
 * (which `setTimeout` fires at once), a malformed `Retry-After`, ids with
 * `{` / `}`, `*.localhost` host names, and errors thrown by the caller's
 * callbacks (which are theirs, not network errors).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  createPrimeIntellectClient,
  InvalidArgumentError,
  NetworkError,
  PrimeIntellect,
} from "../../mod.ts";
import { systemClock } from "../../src/util/clock.ts";
import { parseRetryAfter } from "../../src/http/retry_after.ts";
import { createRedisRateLimitStore } from "../../src/rate_limit/redis/mod.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { startHostileServer } from "./_hostile_server.ts";

const HUGE = 2 ** 31 + 1_000; // ~24.9 days: past what setTimeout can express
const PATH = "/api/v1/sandbox/{sandbox_id}/expose" as const;

/** Whether `promise` settles within `ms` of real time. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), guard]);
  } finally {
    clearTimeout(timer);
  }
}

test("systemClock.sleep(≥ 2³¹ ms) does not end early, and stays abortable", async () => {
  const controller = new AbortController();
  const sleeping = systemClock.sleep(HUGE, controller.signal);
  // Was: setTimeout overflowed and the sleep ended at once.
  assert.equal(await settlesWithin(sleeping, 50), false);
  controller.abort(new Error("done"));
  await assert.rejects(sleeping, /done/);
});

test("client timeoutMs ≥ 2³¹ ms does not time a call out at once", async () => {
  const server = await startHostileServer(async ({ res }) => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ exposures: [] }));
  });
  try {
    const prime = new PrimeIntellect({
      apiKey: "k-huge-timeout-123",
      baseUrl: server.url,
      timeoutMs: HUGE,
      rateLimit: false,
    });
    // Was: TimeoutError after ~1 ms.
    assert.deepEqual(await prime.sandbox("sb-huge").listExposures(), []);
  } finally {
    await server.close();
  }
});

test("rateLimit.windowMs ≥ 2³¹ ms makes the next call wait, not go at once", async () => {
  const sent: number[] = [];
  const client = createPrimeIntellectClient({
    apiKey: "k-huge-window-1234",
    fetch: () => {
      sent.push(Date.now());
      return Promise.resolve(Response.json({}));
    },
    rateLimit: { limit: 1, windowMs: HUGE },
    timeoutMs: Infinity,
  });
  const params = { path: { sandbox_id: "sb-huge-window" } };
  await client.POST(PATH, { params, body: { port: 8000 } });
  const controller = new AbortController();
  const second = client.POST(PATH, { params, body: { port: 8000 }, signal: controller.signal });
  assert.equal(await settlesWithin(second, 50), false);
  assert.equal(sent.length, 1, "the second call went out inside the window");
  controller.abort(new Error("stop"));
  await assert.rejects(second, /stop/);
});

test("a Retry-After of ≥ 2³¹ ms with maxRetryDelayMs: Infinity waits, not retries at once", async () => {
  let calls = 0;
  const client = createPrimeIntellectClient({
    apiKey: "k-huge-retry-12345",
    fetch: () => {
      calls++;
      return Promise.resolve(
        new Response("busy", { status: 503, headers: { "retry-after": String(HUGE / 1000) } }),
      );
    },
    retry: { maxRetryDelayMs: Infinity },
    rateLimit: false,
    timeoutMs: Infinity,
  });
  const controller = new AbortController();
  const call = client.GET(PATH, {
    params: { path: { sandbox_id: "sb-huge-retry" } },
    signal: controller.signal,
  });
  assert.equal(await settlesWithin(call, 50), false);
  assert.equal(calls, 1, "retried at once");
  controller.abort(new Error("stop"));
  await assert.rejects(call, /stop/);
});

test("the Redis store's timeoutMs ≥ 2³¹ ms does not fail a call at once", async () => {
  let answer!: (reply: unknown) => void;
  const reply = new Promise<unknown>((resolve) => (answer = resolve));
  const store = createRedisRateLimitStore({
    client: { evalsha: () => reply, eval: () => reply },
    timeoutMs: HUGE,
    onStoreError() {},
  });
  const reserve = store.reserve("k", { limit: 1, windowMs: 1000, id: "a" });
  // Was: "no answer within 2147484648 ms" after ~1 ms.
  assert.equal(await settlesWithin(reserve, 50), false);
  answer([0, 0]); // the slow Redis answers at last: the store's timer is stopped
  assert.deepEqual(await reserve, { rejected: false, delayMs: 0 });
});

test("a malformed Retry-After such as `a 1` is not honoured as 0 ms", () => {
  for (const value of ["a 1", "soon 5", "x", "Mon 1", "1 a"]) {
    // Was: Date.parse("a 1") is a date in 2001, so the wait was 0 ms.
    assert.equal(parseRetryAfter(new Headers({ "retry-after": value }), Date.now()), undefined);
  }
  const now = Date.parse("Sun, 06 Nov 1994 08:49:30 GMT");
  for (const date of ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"]) {
    assert.equal(parseRetryAfter(new Headers({ "retry-after": date }), now), 7_000);
  }
});

test("ids with { or } are rejected by sandbox() and by every method, before any request", async () => {
  let sent = 0;
  const prime = new PrimeIntellect({
    apiKey: "k-braces-123456789",
    fetch: () => {
      sent++;
      return Promise.resolve(Response.json({}));
    },
  });
  for (const id of ["{sandbox_id}", "a{b", "c}d"]) {
    // Was: accepted, then every call failed with "path: must be a string (got undefined)".
    assert.throws(() => prime.sandbox(id), InvalidArgumentError);
    await assert.rejects(prime.sandbox("sb").unexposePort(id), InvalidArgumentError);
  }
  assert.equal(sent, 0);
});

test("plain http: is loopback only for localhost, 127.0.0.0/8 and [::1], not *.localhost", () => {
  for (const baseUrl of ["http://evil.localhost", "http://a.b.localhost:8080"]) {
    assert.throws(() => new PrimeIntellect({ apiKey: "k", baseUrl }), ConfigError, baseUrl);
  }
  for (const baseUrl of ["http://localhost:1", "http://127.1.2.3", "http://[::1]:9"]) {
    assert.doesNotThrow(() => new PrimeIntellect({ apiKey: "k", baseUrl }), baseUrl);
  }
});

test("errors thrown by the caller's own callbacks come back as they are, not as NetworkError", async () => {
  const mine = new Error("my callback failed");
  const ok = () => Promise.resolve(Response.json({ exposures: [] }));
  const busy = () => Promise.resolve(new Response("busy", { status: 503 }));
  const cases: [string, () => Promise<unknown>][] = [
    [
      "async apiKey provider",
      () =>
        new PrimeIntellect({ apiKey: () => Promise.reject(mine), fetch: ok }).sandbox("sb-cb-1")
          .listExposures(),
    ],
    [
      "onRetry",
      () =>
        new PrimeIntellect({
          apiKey: "k-callbacks-123456",
          fetch: busy,
          retry: { baseDelayMs: 0, maxDelayMs: 0 },
          onRetry: () => {
            throw mine;
          },
        }).sandbox("sb-cb-2").listExposures(),
    ],
    [
      "onRateLimit",
      async () => {
        const clock = new FakeClock();
        const prime = new PrimeIntellect({
          apiKey: "k-callbacks-123456",
          fetch: ok,
          clock,
          rateLimit: { limit: 1 },
          onRateLimit: () => {
            throw mine;
          },
        });
        await prime.sandbox("sb-cb-3").listExposures();
        return prime.sandbox("sb-cb-3").listExposures();
      },
    ],
    [
      "clock.now",
      () =>
        new PrimeIntellect({
          apiKey: "k-callbacks-123456",
          fetch: ok,
          clock: {
            now: () => {
              throw mine;
            },
            sleep: systemClock.sleep,
          },
        }).sandbox("sb-cb-4").listExposures(),
    ],
  ];
  for (const [name, run] of cases) {
    const error = await run().then(() => undefined, (e: unknown) => e);
    assert.ok(!(error instanceof NetworkError), `${name}: ${String(error)}`);
    assert.equal(error, mine, `${name}: ${String(error)}`);
  }
});
