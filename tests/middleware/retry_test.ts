import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createPrimeIntellectClient,
  NetworkError,
  RateLimitedError,
  type RetryInfo,
  ServerError,
} from "../../mod.ts";
import { compose } from "../../src/middleware/compose.ts";
import { retryMiddleware } from "../../src/middleware/retry.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { context, EXPOSE, exposed, settle, UNEXPOSE } from "./_support.ts";
import { recordingFetch } from "../helpers/fake_fetch.ts";

const KEY = "sk-test-retry-key-0001";

function client(
  clock: FakeClock,
  fetch: (request: Request) => Promise<Response>,
  extra: Parameters<typeof createPrimeIntellectClient>[0] = {},
) {
  return createPrimeIntellectClient({ apiKey: KEY, fetch, clock, rateLimit: false, ...extra });
}

const expose = (c: ReturnType<typeof client>) =>
  c.POST(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, body: { port: 8000 } });
const unexpose = (c: ReturnType<typeof client>, signal?: AbortSignal) =>
  c.DELETE(UNEXPOSE, {
    params: { path: { sandbox_id: "sb-1", exposure_id: "e1" } },
    ...(signal ? { signal } : {}),
  });

const status = (code: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ detail: `status ${code}` }), { status: code, headers });

test("429 with Retry-After: 7 → the next attempt goes 7 s later", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(
    (_r, i) => i === 0 ? status(429, { "retry-after": "7" }) : exposed(),
    clock,
  );
  const retries: RetryInfo[] = [];
  const call = settle(expose(client(clock, fetch, { onRetry: (info) => retries.push(info) })));
  await clock.tickAsync(6_999);
  assert.equal(sent.length, 1);
  await clock.tickAsync(1);
  assert.equal(sent.length, 2);
  assert.equal(sent[1]!.at - sent[0]!.at, 7_000);
  await clock.tickAsync(0);
  assert.equal((call.value as { data?: { exposure_id: string } }).data?.exposure_id, "e1");
  assert.equal(retries.length, 1);
  assert.equal(retries[0]!.attempt, 1);
  assert.equal(retries[0]!.delayMs, 7_000);
  assert.equal(retries[0]!.operation, "exposePort");
  assert.ok(retries[0]!.error instanceof RateLimitedError);
  assert.equal((retries[0]!.error as RateLimitedError).retryAfterMs, 7_000);
});

test("POST + 503 → no retry; the 503 is returned as it is", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(503), clock);
  const result = await expose(client(clock, fetch));
  assert.equal(sent.length, 1);
  assert.equal(result.response.status, 503);
  assert.deepEqual(result.error, { detail: "status 503" }, "the body was not consumed");
});

test("DELETE + 503 → retried", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(
    (_r, i) => i === 0 ? status(503) : new Response(null, { status: 204 }),
    clock,
  );
  const call = settle(unexpose(client(clock, fetch)));
  await clock.runAllAsync();
  assert.equal(sent.length, 2);
  assert.equal((call.value as { response: Response }).response.status, 204);
});

for (const code of [408, 429, 500, 502, 504]) {
  test(`DELETE + ${code} → retried`, async () => {
    const clock = new FakeClock();
    const { sent, fetch } = recordingFetch(
      (_r, i) => i === 0 ? status(code) : new Response(null, { status: 204 }),
      clock,
    );
    settle(unexpose(client(clock, fetch)));
    await clock.runAllAsync();
    assert.equal(sent.length, 2);
  });
}

for (const code of [400, 401, 404, 409, 422, 501]) {
  test(`DELETE + ${code} → not retried`, async () => {
    const clock = new FakeClock();
    const { sent, fetch } = recordingFetch(() => status(code), clock);
    const result = await unexpose(client(clock, fetch));
    assert.equal(sent.length, 1);
    assert.equal(result.response.status, code);
  });
}

test("a retried POST sends the same body on every attempt", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch((_r, i) => (i < 2 ? status(429) : exposed()), clock);
  const call = settle(expose(client(clock, fetch)));
  await clock.runAllAsync();
  assert.ok(call.done);
  assert.equal(sent.length, 3);
  for (const s of sent) {
    assert.equal(s.method, "POST");
    assert.deepEqual(JSON.parse(s.body), { port: 8000 });
    assert.equal(s.authorization, `Bearer ${KEY}`);
  }
});

test("POST is retried after a network error only when nothing was sent", async () => {
  const refused = () =>
    Promise.reject(
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:443"), {
          code: "ECONNREFUSED",
        }),
      }),
    );
  const reset = () =>
    Promise.reject(
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
      }),
    );
  for (const [failure, expectedAttempts] of [[refused, 2], [reset, 1]] as const) {
    const clock = new FakeClock();
    let attempts = 0;
    const fetch = (request: Request) => {
      attempts++;
      return attempts === 1 ? failure() : Promise.resolve(exposed(request.url));
    };
    const call = settle(expose(client(clock, fetch)));
    await clock.runAllAsync();
    assert.equal(attempts, expectedAttempts);
    if (expectedAttempts === 1) {
      assert.ok(call.error instanceof NetworkError);
      assert.equal(call.error.neverSent, false);
    } else {
      assert.equal(call.error, undefined);
    }
  }
});

test("GET is retried after any network error", async () => {
  const clock = new FakeClock();
  let attempts = 0;
  const fetch = () => {
    attempts++;
    return attempts === 1
      ? Promise.reject(new TypeError("fetch failed"))
      : Promise.resolve(exposed());
  };
  const call = settle(
    client(clock, fetch).GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } } }),
  );
  await clock.runAllAsync();
  assert.equal(attempts, 2);
  assert.equal(call.error, undefined);
});

test("abort during backoff rejects at once with the user's reason", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(503, { "retry-after": "30" }), clock);
  const controller = new AbortController();
  const call = settle(unexpose(client(clock, fetch), controller.signal));
  await clock.tickAsync(1_000);
  assert.equal(sent.length, 1);
  assert.equal(call.done, false);
  const reason = new Error("shutting down");
  controller.abort(reason);
  await clock.tickAsync(0); // no time passes
  assert.ok(call.done);
  assert.equal(call.error, reason);
  assert.equal(sent.length, 1);
  assert.equal(clock.pending, 0, "the backoff and timeout timers are gone");
});

test("Retry-After longer than maxRetryDelayMs: stop and return the response", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(429, { "retry-after": "3600" }), clock);
  const result = await unexpose(client(clock, fetch, { retry: { maxRetryDelayMs: 60_000 } }));
  assert.equal(sent.length, 1);
  assert.equal(result.response.status, 429);
});

test("retries run out: retries + 1 attempts, then the last response", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(502), clock);
  const call = settle(unexpose(client(clock, fetch, { retry: { retries: 2 } })));
  await clock.runAllAsync();
  assert.equal(sent.length, 3);
  const result = call.value as { response: Response; error: unknown };
  assert.equal(result.response.status, 502);
  assert.deepEqual(result.error, { detail: "status 502" });
});

test("retry: false sends once", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(503), clock);
  await unexpose(client(clock, fetch, { retry: false }));
  assert.equal(sent.length, 1);
});

test("a backoff that would end after the call's deadline is not waited for", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => status(503, { "retry-after": "20" }), clock);
  const started = clock.now();
  const result = await unexpose(client(clock, fetch, { timeoutMs: 10_000 }));
  assert.equal(result.response.status, 503);
  assert.equal(sent.length, 1);
  assert.equal(clock.now(), started);
});

test("full-jitter exponential backoff: random × min(maxDelayMs, base × 2^(attempt − 1))", async () => {
  const clock = new FakeClock();
  const infos: RetryInfo[] = [];
  const attempts: number[] = [];
  const handler = compose(
    [
      retryMiddleware({
        retries: 5,
        baseDelayMs: 100,
        maxDelayMs: 1_000,
        maxRetryDelayMs: 60_000,
        clock,
        random: () => 0.5,
        onRetry: (info) => infos.push(info),
      }),
    ],
    (_request, ctx) => {
      attempts.push(ctx.attempt);
      return Promise.resolve(new Response(null, { status: 500 }));
    },
  );
  const ctx = context({ operation: "listExposures" });
  const call = settle(handler(new Request("https://api.example.com/x"), ctx));
  await clock.runAllAsync();
  assert.ok(call.done);
  assert.deepEqual(infos.map((i) => i.delayMs), [50, 100, 200, 400, 500]);
  assert.deepEqual(attempts, [1, 2, 3, 4, 5, 6]);
  assert.ok(infos.every((i) => i.error instanceof ServerError && i.error.status === 500));
  assert.deepEqual(infos.map((i) => i.attempt), [1, 2, 3, 4, 5]);
});

test("jitter spans [0, ceiling): random 0 retries at once, random → 1 just under the cap", async () => {
  for (const [random, expected] of [[0, 0], [0.9999, 99]] as const) {
    const clock = new FakeClock();
    const infos: RetryInfo[] = [];
    let n = 0;
    const handler = compose(
      [
        retryMiddleware({
          retries: 1,
          baseDelayMs: 100,
          maxDelayMs: 1_000,
          maxRetryDelayMs: 60_000,
          clock,
          random: () => random,
          onRetry: (info) => infos.push(info),
        }),
      ],
      () => Promise.resolve(new Response(null, { status: n++ === 0 ? 503 : 200 })),
    );
    settle(handler(new Request("https://api.example.com/x"), context()));
    await clock.runAllAsync();
    assert.equal(infos[0]!.delayMs, expected);
  }
});

test("without retries the request is not copied", async () => {
  const clock = new FakeClock();
  const original = new Request("https://api.example.com/x", { method: "POST", body: "b" });
  let seen: Request | undefined;
  const handler = compose(
    [retryMiddleware({ retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryDelayMs: 1, clock })],
    (request) => {
      seen = request;
      return Promise.resolve(new Response(null));
    },
  );
  await handler(original, context());
  assert.equal(seen, original);
});
