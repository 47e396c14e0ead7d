// exposure.waitUntilReady() and exposePort({ waitUntilReady }): who answered (the gateway's
// 502/503/504 and network errors are "not yet"), backoff on the client's clock (a FakeClock:
// no real sleeps), readiness events, TimeoutError, abort, options checked before any request,
// and an exposure whose wait failed is unexposed again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import {
  InvalidArgumentError,
  type ReadinessEvent,
  type SandgateEvent,
  TimeoutError,
} from "../../mod.ts";
import { FakeClock } from "../../src/testing/mod.ts";
import { exposeBody, prime, recordingFetch, unexposeBody } from "../helpers/fake_fetch.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";

const SERVICE = "https://exp-123.sandbox.primeintellect.ai";
const gatewayPage = (status: number) =>
  new Response(`<html><head><title>${status}</title></head><body>${status}</body></html>`, {
    status,
    headers: { "content-type": "text/html" },
  });

/** The API (expose, unexpose) plus the exposed service, which answers `service(n)` to probe n. */
function world(service: (n: number, request: Request) => Response | Promise<Response>) {
  let probes = 0;
  const recorder = recordingFetch(async (request) => {
    const url = new URL(request.url);
    if (url.origin === SERVICE) return await service(++probes, request);
    if (request.method === "DELETE") return Response.json(unexposeBody());
    return Response.json(exposeBody());
  });
  const events: SandgateEvent[] = [];
  const probesOf = () => recorder.requests.filter((r) => new URL(r.url).origin === SERVICE);
  return { ...recorder, events, probesOf, onEvent: (e: SandgateEvent) => events.push(e) };
}

const readiness = (events: SandgateEvent[]) =>
  events.filter((e): e is ReadinessEvent => e.type === "readiness");

test("HTTP: gateway 502 page, 503, 504 and a network error are 'not yet'; the service's answer is ready", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  const w = world((n) => {
    if (n === 1) return gatewayPage(502);
    if (n === 2) return Response.json({ error: "gateway_error", code: 502 }, { status: 503 });
    if (n === 3) return gatewayPage(504);
    if (n === 4) throw new TypeError("fetch failed");
    return new Response("hello from the service", { status: 404 });
  });
  const sandbox = prime(w.fetch, { clock, onEvent: w.onEvent }).sandbox("sb-1");
  const exposure = await sandbox.exposePort({ port: 8000 });
  const ready = await exposure.waitUntilReady({ timeoutMs: 60_000 });
  assert.deepEqual({ ...ready, elapsedMs: undefined }, {
    target: `${SERVICE}/`,
    attempts: 5,
    elapsedMs: undefined,
    answer: "HTTP 404",
  });
  const events = readiness(w.events);
  assert.deepEqual(events.map((e) => [e.attempt, e.ready, e.outcome]), [
    [1, false, "HTTP 502 from the gateway"],
    [2, false, "HTTP 503 from the gateway"],
    [3, false, "HTTP 504 from the gateway"],
    [4, false, "no answer (TypeError)"],
    [5, true, "HTTP 404"],
  ]);
  // Jittered exponential backoff: attempt n waits between half and all of min(4 s, 250 ms · 2^(n-1)).
  for (const event of events.slice(0, 4)) {
    const ceiling = Math.min(4000, 250 * 2 ** (event.attempt - 1));
    assert.ok(event.delayMs! >= ceiling / 2 && event.delayMs! <= ceiling, `${event.delayMs}`);
    assert.equal(event.operation, "waitUntilReady");
    assert.equal(event.target, `${SERVICE}/`);
  }
  const waited = events.slice(0, 4).reduce((sum, e) => sum + e.delayMs!, 0);
  assert.equal(events.at(-1)!.elapsedMs, waited, "the pauses ran on the injected clock");
  assert.equal(ready.elapsedMs, waited);
  // The probes carry no credentials and follow no redirect.
  for (const probe of w.probesOf()) {
    assert.equal(probe.headers.get("authorization"), null);
    assert.equal(probe.method, "GET");
    assert.equal(probe.redirect, "manual");
  }
});

test("HTTP: path and isReady decide among the service's own answers", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  const w = world((n) => new Response(n < 3 ? "starting" : "ok", { status: n < 3 ? 404 : 200 }));
  const exposure = await prime(w.fetch, { clock, onEvent: w.onEvent }).sandbox("sb-1")
    .exposePort({ port: 8000 });
  const ready = await exposure.waitUntilReady({
    path: "/health?deep=1",
    isReady: async (response) => response.status === 200 && (await response.text()) === "ok",
  });
  assert.equal(ready.attempts, 3);
  assert.deepEqual(w.probesOf().map((r) => r.url), Array(3).fill(`${SERVICE}/health?deep=1`));
  assert.deepEqual(readiness(w.events).map((e) => e.outcome), [
    "HTTP 404, not ready by isReady",
    "HTTP 404, not ready by isReady",
    "HTTP 200",
  ]);
});

test("HTTP: a TimeoutError naming the URL and the last answer once timeoutMs is spent", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  const w = world(() => gatewayPage(502));
  const exposure = await prime(w.fetch, { clock, onEvent: w.onEvent }).sandbox("sb-1")
    .exposePort({ port: 8000 });
  const error = await exposure.waitUntilReady({ timeoutMs: 20_000 }).catch((e) => e);
  assert.ok(error instanceof TimeoutError, String(error));
  assert.equal(error.timeoutMs, 20_000);
  assert.match(
    error.message,
    new RegExp(
      `^waitUntilReady: ${SERVICE}/ did not answer within 20\\.0 s \\(\\d+ attempts; last: HTTP 502 from the gateway\\)$`,
    ),
  );
  assert.equal(clock.now(), 20_000, "it gave up exactly at the budget");
  // 250 ms doubling to 4 s with jitter: between 7 and 13 attempts fit in 20 s.
  const attempts = w.probesOf().length;
  assert.ok(attempts >= 7 && attempts <= 13, `${attempts} attempts`);
  assert.equal(clock.pending, 0, "no timer left behind");
});

test("an aborted wait rejects with the signal's reason and stops probing", async () => {
  using clock = new FakeClock(0);
  const w = world(() => gatewayPage(503));
  const exposure = await prime(w.fetch, { clock }).sandbox("sb-1").exposePort({ port: 8000 });
  const controller = new AbortController();
  const waiting = exposure.waitUntilReady({ signal: controller.signal });
  // Two timers while it sleeps between attempts: the budget and the backoff.
  for (let i = 0; i < 100 && clock.pending < 2; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(w.probesOf().length, 1);
  const reason = new Error("user gave up");
  controller.abort(reason);
  assert.equal(await waiting.catch((e) => e), reason);
  await clock.tickAsync(60_000);
  assert.equal(w.probesOf().length, 1, "no probe after the abort");
  assert.equal(clock.pending, 0);
});

test("exposePort({ waitUntilReady }) resolves once ready, and unexposes again when the wait fails", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  const ok = world((n) => (n < 2 ? gatewayPage(502) : new Response("ok")));
  const exposure = await prime(ok.fetch, { clock }).sandbox("sb-1")
    .exposePort({ port: 8000, waitUntilReady: true });
  assert.equal(exposure.exposureId, "exp-123");
  assert.equal(ok.probesOf().length, 2);

  const never = world(() => gatewayPage(502));
  const error = await prime(never.fetch, { clock }).sandbox("sb-1")
    .exposePort({ port: 8000, waitUntilReady: { timeoutMs: 5_000 } })
    .catch((e) => e);
  assert.ok(error instanceof TimeoutError);
  const deletes = never.requests.filter((r) => r.method === "DELETE");
  assert.deepEqual(deletes.map((r) => new URL(r.url).pathname), [
    "/api/v1/sandbox/sb-1/expose/exp-123",
  ], "the exposure nobody got a handle on was removed");
});

test("bad wait options are InvalidArgumentErrors naming the field, before any request", async () => {
  const w = world(() => new Response("ok"));
  const sandbox = prime(w.fetch).sandbox("sb-1");
  const cases: [unknown, RegExp][] = [
    [{ timeoutMs: -1 }, /^options\.waitUntilReady\.timeoutMs: must be a positive number/],
    [{ path: "health" }, /^options\.waitUntilReady\.path: must be a URL path starting with \//],
    [{ isReady: "yes" }, /^options\.waitUntilReady\.isReady: must be a function/],
    [{ timeout: 5 }, /^options\.waitUntilReady\.timeout: is not a known option/],
    ["soon", /^options\.waitUntilReady: must be an options object/],
  ];
  for (const [wait, message] of cases) {
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      sandbox.exposePort({ port: 8000, waitUntilReady: wait as any }),
      (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
    );
  }
  await assert.rejects(
    sandbox.exposePort({ port: 5432, protocol: "tcp", waitUntilReady: { path: "/" } }),
    /options\.waitUntilReady\.path: is not a known option \(known: timeoutMs, signal\)/,
  );
  assert.equal(w.requests.length, 0, "nothing was sent");
  const exposure = await sandbox.exposePort({ port: 8000 });
  await assert.rejects(
    exposure.waitUntilReady({ path: "x" }),
    /^InvalidArgumentError: options\.path/,
  );
  await exposure.unexpose();
  await assert.rejects(
    exposure.waitUntilReady(),
    (e: unknown) => (e as Error).name === "NotFoundError",
    "a removed exposure answers locally",
  );
});

test("HTTP over real loopback: refused, then the gateway's 502, then a redirect from the service", async () => {
  let answers = 0;
  const server = createServer((_req, res) => {
    answers += 1;
    if (answers === 1) {
      res.writeHead(502, { "content-type": "text/html" }).end("<h1>502 Bad Gateway</h1>");
    } else res.writeHead(302, { location: "/login" }).end();
  });
  // Reserve a port, close it (refused), then serve on it.
  const port = await listenOnLoopback(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const api = recordingFetch((request) =>
    new URL(request.url).origin === url
      ? globalThis.fetch(request)
      : Promise.resolve(Response.json(exposeBody({ url, tls_socket: `127.0.0.1:${port}` })))
  );
  let refused = false;
  const events: ReadinessEvent[] = [];
  const clock = new FakeClock(0);
  const exposure = await prime(api.fetch, {
    clock,
    onEvent: (e) => {
      if (e.type !== "readiness") return;
      events.push(e);
      if (!refused) {
        refused = true;
        server.listen(port, "127.0.0.1");
      }
    },
  }).sandbox("sb-1").exposePort({ port: 8000 });
  const waiting = exposure.waitUntilReady();
  try {
    // Let each backoff pass on the fake clock as soon as the loop sleeps.
    for (let i = 0; i < 400 && events.at(-1)?.ready !== true; i++) {
      if (clock.pending === 2) await clock.tickAsync(clock.nextAt()! - clock.now());
      else await new Promise((r) => setTimeout(r, 5));
    }
    const ready = await waiting;
    assert.equal(ready.answer, "HTTP 302");
    assert.deepEqual(events.map((e) => e.outcome.replace(/\(.*\)/, "(…)")), [
      "no answer (…)",
      "HTTP 502 from the gateway",
      "HTTP 302",
    ]);
  } finally {
    clock.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
