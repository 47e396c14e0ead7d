import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createPrimeIntellectClient,
  PrimeIntellect,
  SandgateError,
  TimeoutError,
} from "../../mod.ts";
import { timeoutMiddleware } from "../../src/middleware/timeout.ts";
import { compose } from "../../src/middleware/compose.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { context, EXPOSE, exposed, settle, UNEXPOSE } from "./_support.ts";

const KEY = "sk-test-timeout-key-0001";

/** A fetch that never answers but records the requests (and their signals). */
function hangingFetch() {
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    requests.push(request);
    return new Promise<Response>((_resolve, reject) => {
      request.signal.addEventListener("abort", () => reject(request.signal.reason), {
        once: true,
      });
    });
  };
  return { requests, fetch };
}

test("a call that outlives timeoutMs rejects with TimeoutError, and the fetch is aborted", async () => {
  const clock = new FakeClock();
  const { requests, fetch } = hangingFetch();
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, timeoutMs: 5_000 });
  const call = settle(client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } } }));
  await clock.tickAsync(4_999);
  assert.equal(call.done, false);
  await clock.tickAsync(1);
  assert.ok(call.error instanceof TimeoutError, String(call.error));
  assert.equal(call.error.timeoutMs, 5_000);
  assert.match(call.error.message, /listExposures: request timed out after 5000 ms/);
  assert.equal(requests[0]!.signal.aborted, true, "the in-flight request was cancelled");
  assert.equal(clock.pending, 0);
});

test("the timeout covers every attempt and backoff together", async () => {
  const clock = new FakeClock();
  let attempts = 0;
  // Each attempt takes 3 s of (fake) time and fails with a 503.
  const fetch = async (request: Request) => {
    attempts++;
    await clock.sleep(3_000, request.signal);
    return new Response(null, { status: 503 });
  };
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    timeoutMs: 5_000,
    rateLimit: false,
    retry: { retries: 5, baseDelayMs: 1, maxDelayMs: 1 },
  });
  const started = clock.now();
  const call = settle(
    client.DELETE(UNEXPOSE, { params: { path: { sandbox_id: "sb", exposure_id: "e" } } }),
  );
  await clock.runAllAsync();
  assert.ok(call.error instanceof TimeoutError);
  assert.equal(attempts, 2);
  assert.equal(clock.now() - started, 5_000);
});

test("a user abort rejects with the user's reason, not a TimeoutError", async () => {
  const clock = new FakeClock();
  const { fetch } = hangingFetch();
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const controller = new AbortController();
  const call = settle(
    client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, signal: controller.signal }),
  );
  await clock.tickAsync(10);
  const reason = { why: "user navigated away" };
  controller.abort(reason);
  await clock.tickAsync(0);
  assert.equal(call.error, reason);
  assert.equal(clock.pending, 0);
});

test("an abort without a reason rejects with the runtime's AbortError", async () => {
  const clock = new FakeClock();
  const { fetch } = hangingFetch();
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const controller = new AbortController();
  const call = settle(
    client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, signal: controller.signal }),
  );
  await clock.tickAsync(0);
  controller.abort();
  await clock.tickAsync(0);
  assert.equal((call.error as Error).name, "AbortError");
});

test("an already aborted signal sends nothing", async () => {
  const clock = new FakeClock();
  const { requests, fetch } = hangingFetch();
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const reason = new Error("too late");
  await assert.rejects(
    client.GET(EXPOSE, {
      params: { path: { sandbox_id: "sb-1" } },
      signal: AbortSignal.abort(reason),
    }),
    (error) => error === reason,
  );
  assert.equal(requests.length, 0);
});

test("a DOM TimeoutError (AbortSignal.timeout) becomes our TimeoutError", async () => {
  const clock = new FakeClock();
  const { fetch } = hangingFetch();
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const controller = new AbortController();
  const call = settle(
    client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, signal: controller.signal }),
  );
  await clock.tickAsync(250);
  controller.abort(new DOMException("signal timed out", "TimeoutError"));
  await clock.tickAsync(0);
  assert.ok(call.error instanceof TimeoutError);
  assert.ok(call.error instanceof SandgateError);
  assert.equal(call.error.timeoutMs, 250);
});

test("a per-call timeoutMs surfaces as its own TimeoutError, on the call's one timer", async () => {
  const clock = new FakeClock();
  const { fetch } = hangingFetch();
  const prime = new PrimeIntellect({ apiKey: KEY, fetch, clock });
  const call = settle(prime.sandbox("sb-1").listExposures({ timeoutMs: 2_000 }));
  await clock.tickAsync(0);
  // One timer, for the shorter of the client's budget (120 s) and the call's own.
  assert.equal(clock.pending, 1);
  assert.equal(clock.nextAt(), clock.now() + 2_000);
  await clock.tickAsync(2_000);
  assert.ok(call.error instanceof TimeoutError);
  assert.equal(call.error.timeoutMs, 2_000);
  await clock.tickAsync(0);
  assert.equal(clock.pending, 0);
});

test("no timer outlives a successful call, and calls do not share a signal", async () => {
  const clock = new FakeClock();
  const signals: AbortSignal[] = [];
  const fetch = (request: Request) => {
    signals.push(request.signal);
    return Promise.resolve(exposed());
  };
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const controller = new AbortController();
  const first = client.GET(EXPOSE, {
    params: { path: { sandbox_id: "sb-1" } },
    signal: controller.signal,
  });
  const second = client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-2" } } });
  await Promise.all([first, second]);
  assert.equal(clock.pending, 0);
  controller.abort(new Error("only the first"));
  assert.equal(signals[0]!.aborted, true);
  assert.equal(signals[1]!.aborted, false);
});

test("timeoutMs: Infinity sets no client-wide timer", async () => {
  const clock = new FakeClock();
  const handler = compose(
    [timeoutMiddleware({ timeoutMs: Infinity, clock })],
    () => Promise.resolve(new Response("ok")),
  );
  const call = settle(handler(new Request("https://api.example.com/"), context()));
  assert.equal(clock.pending, 0);
  await clock.tickAsync(0);
  assert.ok(call.done);
});

test("bad timeoutMs is a ConfigError at client creation", () => {
  for (const timeoutMs of [0, -1, Number.NaN]) {
    assert.throws(
      () => createPrimeIntellectClient({ apiKey: KEY, timeoutMs }),
      (error: unknown) => error instanceof SandgateError && /timeoutMs/.test(error.message),
    );
  }
});
