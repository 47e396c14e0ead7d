import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  createMemoryRateLimitStore,
  createPrimeIntellectClient,
  PrimeIntellect,
  RateLimitedError,
  type RateLimitInfo,
  RateLimitStoreError,
} from "../../mod.ts";
import { digestHex } from "../../src/util/hash.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { EXPOSE, exposed, settle } from "../middleware/_support.ts";
import { recordingFetch } from "../helpers/fake_fetch.ts";

const KEY = "sk-test-rate-limit-key-0001";

function listFor(client: ReturnType<typeof createPrimeIntellectClient>, sandbox = "sb-1") {
  return client.GET(EXPOSE, { params: { path: { sandbox_id: sandbox } } });
}

/** An operation of the documented 20 / 60 s per-sandbox budget (listing has 60 / 60 s). */
function unexposeFor(client: ReturnType<typeof createPrimeIntellectClient>, sandbox = "sb-1") {
  return client.DELETE(`${EXPOSE}/{exposure_id}`, {
    params: { path: { sandbox_id: sandbox, exposure_id: "e-1" } },
  });
}

test("21 calls for one sandbox: the 21st waits until the first leaves the window plus margin", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const waits: RateLimitInfo[] = [];
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    onRateLimit: (info) => waits.push(info),
  });
  const calls = Array.from({ length: 21 }, () => settle(unexposeFor(client)));
  await clock.tickAsync(0);
  assert.equal(sent.length, 20);
  assert.ok(sent.every((s) => s.at === t0));
  assert.equal(calls[20]!.done, false);
  assert.equal(waits.length, 1);
  assert.equal(waits[0]!.waitMs, 60_500);
  assert.equal(waits[0]!.operation, "unexposePort");

  await clock.tickAsync(60_499);
  assert.equal(sent.length, 20, "still inside the padded window");
  await clock.tickAsync(1);
  assert.equal(sent.length, 21);
  assert.equal(sent[20]!.at, t0 + 60_000 + 500);
  await clock.tickAsync(0);
  assert.ok(calls.every((c) => c.done && c.error === undefined));
  assert.equal(clock.pending, 0, "no timer outlives the calls");
});

test("the limiter key holds origin, a token hash and the sandbox, never the token", async () => {
  const clock = new FakeClock();
  const { fetch } = recordingFetch(() => exposed(), clock);
  const waits: RateLimitInfo[] = [];
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    rateLimit: { limit: 1 },
    onRateLimit: (info) => waits.push(info),
  });
  const calls = [settle(listFor(client, "sb-9")), settle(listFor(client, "sb-9"))];
  await clock.runAllAsync();
  assert.ok(calls.every((c) => c.done));
  assert.equal(
    waits[0]!.key,
    `https://api.primeintellect.ai ${(await digestHex("SHA-256", KEY)).slice(0, 12)} sb-9`,
  );
  assert.ok(!waits[0]!.key.includes(KEY));
});

test("two sandboxes don't share a budget; two tokens don't either", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  const other = createPrimeIntellectClient({ apiKey: `${KEY}-other`, fetch, clock });
  const first = Array.from({ length: 20 }, () => settle(unexposeFor(client, "sb-1")));
  await clock.tickAsync(0);
  const blocked = settle(unexposeFor(client, "sb-1"));
  const otherSandbox = settle(unexposeFor(client, "sb-2"));
  const otherToken = settle(unexposeFor(other, "sb-1"));
  await clock.tickAsync(0);
  assert.equal(sent.length, 22);
  assert.ok(otherSandbox.done && otherToken.done);
  assert.equal(blocked.done, false);
  assert.ok(first.every((c) => c.done));
  await clock.runAllAsync();
  assert.ok(blocked.done);
});

test("clients with the same token and clock share one budget by default", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const a = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, rateLimit: { limit: 2 } });
  const b = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, rateLimit: { limit: 2 } });
  const calls = [settle(listFor(a)), settle(listFor(b)), settle(listFor(a))];
  await clock.tickAsync(0);
  assert.equal(sent.length, 2);
  await clock.runAllAsync();
  assert.equal(sent.length, 3);
  assert.ok(calls.every((c) => c.done && c.error === undefined));
});

test("waits are first come, first served", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    rateLimit: { limit: 2, windowMs: 1000, marginMs: 0 },
  });
  const ids = ["a", "b", "c", "d", "e", "f"];
  for (const id of ids) {
    settle(client.GET(EXPOSE, { params: { path: { sandbox_id: "sb" } }, headers: { "x-id": id } }));
  }
  await clock.runAllAsync();
  assert.deepEqual(sent.map((s) => s.request.headers.get("x-id")), ids);
  assert.deepEqual(sent.map((s) => s.at - t0), [0, 0, 1000, 1000, 2000, 2000]);
});

test("maxWaitMs: a longer wait is a client-side RateLimitedError and nothing is sent", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    rateLimit: { limit: 1, windowMs: 10_000, marginMs: 500, maxWaitMs: 5_000 },
  });
  await listFor(client);
  assert.equal(sent.length, 1);
  await assert.rejects(listFor(client), (error: unknown) => {
    assert.ok(error instanceof RateLimitedError);
    assert.equal(error.status, 429);
    assert.equal(error.provider, "primeintellect");
    assert.equal(error.operation, "listExposures");
    assert.equal(error.retryAfterMs, 10_500);
    assert.match(error.message, /client-side rate limit/);
    assert.match(error.message, /maxWaitMs \(5000 ms\)/);
    return true;
  });
  assert.equal(sent.length, 1);
  // Nothing was booked: after the window the next call goes at once.
  await clock.tickAsync(10_500);
  await listFor(client);
  assert.equal(sent.length, 2);
});

test("a wait that would outlast the call's timeout fails at once, booking nothing", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    timeoutMs: 30_000,
    rateLimit: { limit: 1 },
  });
  await listFor(client);
  const started = clock.now();
  await assert.rejects(listFor(client), (error: unknown) => {
    assert.ok(error instanceof RateLimitedError);
    assert.match(error.message, /after the call's timeout/);
    return true;
  });
  assert.equal(clock.now(), started, "failed without waiting");
  assert.equal(sent.length, 1);
  assert.equal(clock.pending, 0);
});

test("a per-call timeoutMs: a wait past it fails at once with a client-side RateLimitedError", async () => {
  // Auto-advancing: a wait that is not refused at once would run into the per-call timeout.
  using clock = new FakeClock(0, { autoAdvance: true });
  const { sent, fetch } = recordingFetch(() => Response.json({ exposures: [] }), clock);
  // The client's own budget (120 s) outlasts the 60.5 s wait; only the call's 5 s does not.
  // Two calls a window: the sandbox lookup (the VM check, sent once) and the first listing.
  const sandbox = new PrimeIntellect({ apiKey: KEY, fetch, clock, rateLimit: { limit: 2 } })
    .sandbox("sb-1");
  await sandbox.listExposures();
  const started = clock.now();
  await assert.rejects(sandbox.listExposures({ timeoutMs: 5_000 }), (error: unknown) => {
    assert.ok(error instanceof RateLimitedError, String(error));
    assert.equal(error.source, "client");
    assert.match(error.message, /after the call's timeout/);
    return true;
  });
  assert.equal(clock.now(), started, "failed without waiting");
  assert.equal(sent.length, 2, "the lookup and the first listing");
});

test("an aborted wait rejects with the user's reason and gives its slot back", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    rateLimit: { limit: 1, windowMs: 1000, marginMs: 0 },
  });
  await listFor(client);
  const controller = new AbortController();
  const waiting = settle(
    client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, signal: controller.signal }),
  );
  await clock.tickAsync(0);
  assert.equal(waiting.done, false);
  const reason = new Error("user gave up");
  controller.abort(reason);
  await clock.tickAsync(0);
  assert.ok(waiting.done);
  assert.equal(waiting.error, reason);
  // The released slot (t0 + 1000) is free for the next caller, not t0 + 2000.
  const next = settle(listFor(client));
  await clock.runAllAsync();
  assert.ok(next.done);
  assert.deepEqual(sent.map((s) => s.at - t0), [0, 1000]);
});

test("a server 429 pauses the key until Retry-After", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const { sent, fetch } = recordingFetch(
    (_r, i) =>
      i === 0
        ? new Response("slow down", { status: 429, headers: { "retry-after": "30" } })
        : exposed(),
    clock,
  );
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, retry: false });
  const first = await listFor(client);
  assert.equal(first.response.status, 429);
  const second = settle(listFor(client));
  const otherSandbox = settle(listFor(client, "sb-2"));
  await clock.tickAsync(29_999);
  assert.equal(second.done, false);
  assert.ok(otherSandbox.done, "only that key is paused");
  await clock.tickAsync(1);
  assert.ok(second.done);
  assert.equal(sent.at(-1)!.at - t0, 30_000);
});

test("a server 429 with RateLimit-Reset pauses the key too", async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const { sent, fetch } = recordingFetch(
    (_r, i) =>
      i === 0
        ? new Response(null, { status: 429, headers: { "ratelimit-reset": "4" } })
        : exposed(),
    clock,
  );
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock });
  // With retries on, the 429 is retried after the reset, and the pause agrees.
  const call = settle(listFor(client));
  await clock.runAllAsync();
  assert.ok(call.done && call.error === undefined);
  assert.deepEqual(sent.map((s) => s.at - t0), [0, 4000]);
});

test("rateLimit: false sends everything at once", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, rateLimit: false });
  await Promise.all(Array.from({ length: 30 }, () => listFor(client)));
  assert.equal(sent.length, 30);
});

test("a custom store is used, and its failure is a RateLimitStoreError with nothing sent", async () => {
  const clock = new FakeClock();
  const { sent, fetch } = recordingFetch(() => exposed(), clock);
  const store = createMemoryRateLimitStore({ clock });
  const client = createPrimeIntellectClient({ apiKey: KEY, fetch, clock, rateLimit: { store } });
  await listFor(client);
  assert.equal(store.size, 1);
  const broken = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    rateLimit: {
      store: {
        reserve() {
          throw new Error("redis down");
        },
      },
    },
  });
  await assert.rejects(listFor(broken), RateLimitStoreError);
  assert.equal(sent.length, 1);
});

test("bad rate-limit options are a ConfigError at client creation", () => {
  for (
    const rateLimit of [
      { limit: 0 },
      { limit: 1.5 },
      { windowMs: 0 },
      { marginMs: -1 },
      { maxWaitMs: Number.NaN },
    ]
  ) {
    assert.throws(() => createPrimeIntellectClient({ apiKey: KEY, rateLimit }), ConfigError);
  }
});

test("a send whose fetch never settles (and ignores the abort) frees its slot when the call times out", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  let calls = 0;
  // The first answer never comes, whatever the signal says; the next ones are answered.
  const fetch = (_request: Request) =>
    ++calls === 1 ? new Promise<Response>(() => {}) : Promise.resolve(exposed());
  const client = createPrimeIntellectClient({
    apiKey: KEY,
    fetch,
    clock,
    retry: false,
    timeoutMs: 5_000,
    rateLimit: { limit: 1, windowMs: 1_000 },
  });
  const stuck = await unexposeFor(client).then(() => "answered", (error) => error.name);
  assert.equal(stuck, "TimeoutError");
  // Its slot ended with the call: the next send waits out the window, not for ever.
  const next = await unexposeFor(client);
  assert.equal(next.response.status, 200);
  assert.equal(calls, 2);
});
