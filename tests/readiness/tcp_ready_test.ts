// TCP readiness over real loopback sockets: refused, and accepted-then-closed (a load balancer
// with nothing behind it) are "not yet"; a byte (an SSH banner) or a connection held open is
// ready. Then the same loop behind a TCP exposure and an SSH session of the served emulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { PrimeIntellect, type ReadinessEvent } from "../../mod.ts";
import { tcpConnector } from "../../src/forward/tcp.ts";
import { tcpProbe } from "../../src/readiness/tcp_probe.ts";
import { createEmulator, FakeClock, serve } from "../../src/testing/mod.ts";
import { exposeBody, prime, recordingFetch } from "../helpers/fake_fetch.ts";
import { freePort, tcpServer } from "../helpers/loopback.ts";

const once = async (port: number, settleMs = 500) =>
  await tcpProbe("127.0.0.1", port, await tcpConnector("test"), { settleMs })(
    new AbortController().signal,
  );

test("tcpProbe: refused, closed at once and reset are not ready; a banner or a held connection is", async () => {
  const refused = await once(await freePort());
  assert.equal(refused.ready, false);
  assert.match((refused as { reason: string }).reason, /^no connection \(.*ECONNREFUSED\)$/);

  const closing = await tcpServer((socket) => socket.end());
  const banner = await tcpServer((socket) => socket.write("SSH-2.0-OpenSSH_9.2\r\n"));
  const silent = await tcpServer(() => {});
  try {
    assert.deepEqual(await once(closing.port), {
      ready: false,
      reason: "closed by the far end before answering",
    });
    assert.deepEqual(await once(banner.port), { ready: true, answer: "sent 21 bytes" });
    assert.deepEqual(await once(silent.port, 50), {
      ready: true,
      answer: "connection held open 50 ms",
    });
  } finally {
    await Promise.all([closing.close(), banner.close(), silent.close()]);
  }
});

test("a TCP exposure waits for its endpoint: closed by the balancer twice, then the service", async () => {
  let connections = 0;
  const service = await tcpServer((socket) => {
    connections += 1;
    if (connections <= 2) socket.destroy();
    else socket.write("+OK\r\n");
  });
  const endpoint = `127.0.0.1:${service.port}`;
  const api = recordingFetch(() =>
    Response.json(exposeBody({
      port: 6379,
      protocol: "TCP",
      url: `tcp://${endpoint}`,
      tls_socket: endpoint,
      external_port: service.port,
      external_endpoint: endpoint,
    }))
  );
  const events: ReadinessEvent[] = [];
  const clock = new FakeClock(0);
  try {
    const exposure = await prime(api.fetch, {
      clock,
      onEvent: (e) => e.type === "readiness" && events.push(e),
    }).sandbox("sb-1").exposePort({ port: 6379, protocol: "tcp" });
    const waiting = exposure.waitUntilReady({ timeoutMs: 30_000 });
    for (let i = 0; i < 400 && events.at(-1)?.ready !== true; i++) {
      if (clock.pending === 2) await clock.tickAsync(clock.nextAt()! - clock.now());
      else await new Promise((r) => setTimeout(r, 5));
    }
    const ready = await waiting;
    assert.deepEqual([ready.target, ready.attempts, ready.answer], [endpoint, 3, "sent 5 bytes"]);
    assert.equal(events[0]!.ready, false);
    assert.match(events[0]!.outcome, /^(closed by the far end before answering|reset \(.*\))$/);
  } finally {
    clock.close();
    await service.close();
  }
});

test("an SSH session of the served emulator: waitUntilReady sees its endpoint's banner", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const events: ReadinessEvent[] = [];
  const sandbox = new PrimeIntellect({
    apiKey: "k",
    baseUrl: server.url,
    onEvent: (e) => e.type === "readiness" && events.push(e),
  }).sandbox("sb");
  await using session = await sandbox.createSshSession();
  const ready = await session.waitUntilReady({ timeoutMs: 10_000 });
  assert.equal(ready.target, session.externalEndpoint);
  assert.equal(ready.attempts, 1);
  assert.match(ready.answer, /^sent \d+ bytes$/);
  assert.deepEqual(events.map((e) => e.ready), [true]);
  await session.close();
  await assert.rejects(session.waitUntilReady(), { name: "NotFoundError" });
});

test("a TCP exposure at an IPv6 endpoint ([::1]:port) is probed at ::1 and named in brackets", async (t) => {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.end("SSH-2.0-test\r\n");
  });
  const port = await new Promise<number | undefined>((resolve) => {
    server.once("error", () => resolve(undefined));
    server.listen(0, "::1", () => resolve((server.address() as { port: number }).port));
  });
  if (port === undefined) {
    t.skip("no IPv6 loopback on this machine");
    return;
  }
  const endpoint = `[::1]:${port}`;
  const api = recordingFetch(() =>
    Response.json(exposeBody({
      port: 2222,
      protocol: "TCP",
      url: `tcp://${endpoint}`,
      tls_socket: endpoint,
      external_port: port,
      external_endpoint: endpoint,
    }))
  );
  using clock = new FakeClock(0, { autoAdvance: true });
  try {
    const exposure = await prime(api.fetch, { clock }).sandbox("sb-1")
      .exposePort({ port: 2200, protocol: "tcp" });
    const ready = await exposure.waitUntilReady({ timeoutMs: 30_000 });
    assert.deepEqual([ready.target, ready.attempts], [endpoint, 1]);
    assert.match(ready.answer, /^sent \d+ bytes$/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
