// The emulator's gateway in front of exposures: an HTTP exposure of a port with a declared
// service reaches it (a 502 page while it refuses), and an SSH session's endpoint relays to the
// service on port 22. The SDK's waitUntilReady() against it, over real loopback only.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { PrimeIntellect, type ReadinessEvent, TimeoutError } from "../../mod.ts";
import { createEmulator, FakeClock, serve } from "../../src/testing/mod.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";

test("served: an HTTP exposure's URL reaches the service; 502 from the gateway until it listens", async () => {
  const service = createHttpServer((req, res) => res.end(`served ${req.url}`));
  const port = await listenOnLoopback(service);
  await new Promise<void>((resolve) => service.close(() => resolve())); // not listening yet
  const emulator = createEmulator({ services: { 8000: `127.0.0.1:${port}` } });
  await using server = await serve(emulator);
  const events: ReadinessEvent[] = [];
  const sandbox = new PrimeIntellect({
    apiKey: "k",
    baseUrl: server.url,
    onEvent: (e) => {
      if (e.type !== "readiness") return;
      events.push(e);
      if (events.length === 2) service.listen(port, "127.0.0.1");
    },
  }).sandbox("sb");
  try {
    await using exposure = await sandbox.exposePort({ port: 8000 });
    assert.equal(exposure.url, `${server.url}/exposed/${exposure.exposureId}`);
    const ready = await exposure.waitUntilReady({ path: "/health?x=1", timeoutMs: 20_000 });
    assert.equal(ready.answer, "HTTP 200");
    assert.deepEqual(events.slice(0, 2).map((e) => e.outcome), [
      "HTTP 502 from the gateway",
      "HTTP 502 from the gateway",
    ]);
    const body = await (await fetch(`${exposure.url}/health?x=1`)).text();
    assert.equal(body, "served /health?x=1", "the path and query reach the service");
  } finally {
    await new Promise<void>((resolve) => service.close(() => resolve()));
  }
});

test("in-process: an exposure with no service answers the gateway's 502 page; waitUntilReady times out", async () => {
  using clock = new FakeClock(0, { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch: emulator.fetch, clock }).sandbox("sb");
  const exposure = await sandbox.exposePort({ port: 8000 });
  assert.equal(exposure.url, "https://8000-sb.emulator.sandgate.invalid");
  const page = await emulator.fetch(new Request(exposure.url));
  assert.equal(page.status, 502);
  assert.match(await page.text(), /<h1>502 Bad Gateway<\/h1>/);
  const error = await exposure.waitUntilReady({ timeoutMs: 10_000 }).catch((e) => e);
  assert.ok(error instanceof TimeoutError);
  assert.match(error.message, /last: HTTP 502 from the gateway/);
});

test("served: an SSH session's endpoint relays to the service on port 22 while the session lives", async () => {
  const sshd = createTcpServer((socket) => socket.end("SSH-2.0-TestServer\r\n"));
  const sshdPort = await listenOnLoopback(sshd);
  const emulator = createEmulator({ services: { 22: `127.0.0.1:${sshdPort}` } });
  await using server = await serve(emulator);
  const sandbox = new PrimeIntellect({ apiKey: "k", baseUrl: server.url }).sandbox("sb");
  try {
    const session = await sandbox.createSshSession();
    assert.equal(session.host, "127.0.0.1");
    const banner = await new Promise<string>((resolve, reject) => {
      let text = "";
      const c = connect({ host: "127.0.0.1", port: session.port });
      c.setEncoding("utf8");
      c.on("data", (s: string) => (text += s));
      c.on("end", () => resolve(text));
      c.on("error", reject);
    });
    assert.equal(banner, "SSH-2.0-TestServer\r\n", "the real service answered, not the emulator");
    assert.equal((await session.waitUntilReady()).attempts, 1);
    await session.close();
    const refused = await new Promise<boolean>((resolve) => {
      const c = connect({ host: "127.0.0.1", port: session.port });
      c.on("connect", () => {
        c.destroy();
        resolve(false);
      });
      c.on("error", () => resolve(true));
    });
    assert.ok(refused, "the endpoint closes with the session");
  } finally {
    await new Promise<void>((resolve) => sshd.close(() => resolve()));
  }
});

test("served: a TCP exposure is ready once its service answers; with none, the relay hangs up at once", async () => {
  const redis = createTcpServer((socket) => {
    socket.on("error", () => {});
    socket.on("data", () => socket.write("+PONG\r\n"));
  });
  const redisPort = await listenOnLoopback(redis);
  const emulator = createEmulator({ services: { 6379: `127.0.0.1:${redisPort}` } });
  await using server = await serve(emulator);
  const events: ReadinessEvent[] = [];
  const clock = new FakeClock(0);
  const sandbox = new PrimeIntellect({
    apiKey: "k",
    baseUrl: server.url,
    clock,
    onEvent: (e) => e.type === "readiness" && events.push(e),
  }).sandbox("sb");
  try {
    await using db = await sandbox.exposePort({ port: 6379, protocol: "tcp" });
    const ready = await db.waitUntilReady({ timeoutMs: 30_000 });
    assert.equal(ready.target, db.externalEndpoint);
    assert.match(ready.answer, /^connection held open \d+ ms$/, "a silent server counts once held");

    // Port 5432 has no service: the emulated balancer accepts and closes at once.
    await using none = await sandbox.exposePort({ port: 5432, protocol: "tcp" });
    const controller = new AbortController();
    const waiting = none.waitUntilReady({ signal: controller.signal });
    await (async () => {
      for (let i = 0; i < 400 && events.length < 3; i++) {
        if (clock.pending === 2) await clock.tickAsync(clock.nextAt()! - clock.now());
        else await new Promise((r) => setTimeout(r, 5));
      }
    })();
    controller.abort(new Error("enough"));
    await assert.rejects(waiting, /enough/);
    assert.deepEqual(events.slice(1, 3).map((e) => [e.ready, e.outcome]), [
      [false, "closed by the far end before answering"],
      [false, "closed by the far end before answering"],
    ]);
  } finally {
    clock.close();
    await new Promise<void>((resolve) => redis.close(() => resolve()));
  }
});
