// Prime Intellect forwarding against the served emulator: a TCP exposure's
// loopback endpoint relays to the service the test declared; real TCP
// clients (node:net, redis-cli) go through sandbox.forward() and connect().
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import {
  InvalidArgumentError,
  NetworkError,
  PrimeIntellect,
  UnexpectedResponseError,
} from "../../mod.ts";
import { freePort } from "../helpers/loopback.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { redisSkipReason, startRedisServer } from "../helpers/redis_server.ts";
import { echo, exchange, readAll, redisCli, refuses } from "./_helpers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function setUp(services: Parameters<typeof createEmulator>[0] = {}) {
  const emulator = createEmulator({ services: { 7000: echo }, ...services });
  const server = await serve(emulator);
  const sandbox = new PrimeIntellect({ apiKey: "k", baseUrl: server.url }).sandbox("sb-1");
  return { emulator, server, sandbox };
}

test("forward: a TCP client reaches the sandbox's service; close removes the exposure and the listener", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const forward = await sandbox.forward(7000);
    assert.equal(forward.host, "127.0.0.1");
    assert.equal(forward.remotePort, 7000);
    assert.ok(forward.port > 0);
    const [exposure] = emulator.snapshot().sandboxes["sb-1"]!.exposures;
    assert.equal(exposure?.protocol, "TCP");
    assert.equal(exposure?.port, 7000);
    assert.equal(text(await exchange(forward.port, "hello through prime")), "hello through prime");
    assert.equal(text(await exchange(forward.port, "second")), "second");
    assert.equal(forward.stats.connections, 2);
    assert.equal(forward.stats.bytesOut, 25);
    assert.equal(forward.stats.bytesIn, 25);
    await forward.close();
    await forward.closed;
    assert.equal(forward.stats.activeConnections, 0);
    assert.equal(emulator.live().exposures, 0);
    assert.ok(await refuses(forward.port), "the local listener is closed");
  } finally {
    await server.close();
  }
});

test("forward: redis-cli talks to a real redis-server through the forward", {
  skip: redisSkipReason(),
}, async () => {
  const redis = await startRedisServer();
  const { emulator, server, sandbox } = await setUp({
    services: { 6379: `127.0.0.1:${redis.port}` },
  });
  try {
    await using forward = await sandbox.forward(6379);
    const cli = (...args: string[]) => redisCli(forward.port, ...args);
    assert.equal(await cli("SET", "greeting", "through-prime"), "OK");
    assert.equal(await cli("GET", "greeting"), "through-prime");
    assert.equal(await cli("PING"), "PONG");
    assert.equal(forward.stats.connections, 3);
    assert.equal(forward.stats.failedConnections, 0);
    assert.equal(emulator.live().exposures, 1);
  } finally {
    await server.close();
    await redis.stop();
  }
});

test("forward: an existing TCP exposure of the port is reused and left in place", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const existing = await sandbox.exposePort({ port: 7000, protocol: "tcp" });
    const before = emulator.stats.byStatus["200"] ?? 0;
    const forward = await sandbox.forward(7000);
    assert.equal(emulator.live().exposures, 1);
    assert.equal(text(await exchange(forward.port, "reused")), "reused");
    await forward.close();
    // One listing and nothing else: no expose, no unexpose.
    assert.equal((emulator.stats.byStatus["200"] ?? 0) - before, 1);
    assert.equal(emulator.live().exposures, 1);
    await existing.unexpose();
  } finally {
    await server.close();
  }
});

test("forward: bad input is refused before any request or listener", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const cases: [() => Promise<unknown>, string][] = [
      [() => sandbox.forward(21), "remotePort"],
      [() => sandbox.forward(9001), "remotePort"],
      [() => sandbox.forward(7000.5), "remotePort"],
      [() => sandbox.forward(7000, { localPort: 65536 }), "options.localPort"],
      [() => sandbox.forward(7000, { localPort: -1 }), "options.localPort"],
      [() => sandbox.forward(7000, { host: "a b" }), "options.host"],
      [() => sandbox.forward(7000, { lcoalPort: 1 } as never), "options.lcoalPort"],
      [() => sandbox.connect(21), "remotePort"],
      [() => sandbox.connect(7000, { timeoutMs: -1 }), "options.timeoutMs"],
    ];
    for (const [call, field] of cases) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, String(error));
        assert.equal(error.field, field);
        return true;
      });
    }
    assert.equal(emulator.stats.requests, 0);
  } finally {
    await server.close();
  }
});

test("forward: a busy local port fails before anything is exposed", async () => {
  const { emulator, server, sandbox } = await setUp();
  const busy = createServer();
  const port = await listenOnLoopback(busy);
  try {
    await assert.rejects(sandbox.forward(7000, { localPort: port }), (error: unknown) => {
      assert.ok(error instanceof NetworkError);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.equal(emulator.stats.requests, 0);
  } finally {
    busy.close();
    await server.close();
  }
});

test("forward: a failing set-up closes the listener and leaves nothing exposed", async () => {
  // A sandbox the emulator does not know: the listing is answered 404.
  const { emulator, server, sandbox } = await setUp({ sandboxes: ["another"] });
  try {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      listenOnLoopback(probe).then((p) => probe.close(() => resolve(p)));
    });
    await assert.rejects(sandbox.forward(7000, { localPort: port }), { name: "NotFoundError" });
    assert.ok(await refuses(port), "the listener was closed again");
    assert.equal(emulator.live().exposures, 0);
  } finally {
    await server.close();
  }
});

test("forward: aborting the signal stops the forward and removes the exposure", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const controller = new AbortController();
    const forward = await sandbox.forward(7000, { signal: controller.signal });
    assert.equal(emulator.live().exposures, 1);
    controller.abort();
    await forward.closed;
    assert.equal(emulator.live().exposures, 0);
    assert.ok(await refuses(forward.port));
  } finally {
    await server.close();
  }
});

test("connect: a duplex Web stream pair to the service; close removes the exposure", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const connection = await sandbox.connect(7000);
    assert.equal(emulator.live().exposures, 1);
    const writer = connection.writable.getWriter();
    await writer.write(new TextEncoder().encode("ping over connect"));
    await writer.close();
    assert.equal(await readAll(connection.readable), "ping over connect");
    await connection.close();
    await connection.closed;
    assert.equal(emulator.live().exposures, 0);
  } finally {
    await server.close();
  }
});

/** A Prime client on the served emulator whose `fetch` lets the test see (and change) answers. */
function primeVia(
  url: string,
  onAnswer: (request: Request, response: Response) => Promise<Response>,
) {
  return new PrimeIntellect({
    apiKey: "k",
    baseUrl: url,
    fetch: async (request) => await onAnswer(request, await fetch(request)),
  }).sandbox("sb-1");
}

test("forward: aborted while setting up (the exposure was just created): nothing is left", async () => {
  const { emulator, server } = await setUp();
  try {
    const controller = new AbortController();
    const sandbox = primeVia(server.url, (request, response) => {
      if (request.method === "POST") controller.abort(new Error("stop"));
      return Promise.resolve(response);
    });
    const port = await freePort();
    await assert.rejects(sandbox.forward(7000, { localPort: port, signal: controller.signal }));
    assert.equal(emulator.live().exposures, 0);
    assert.ok(await refuses(port), "the listener was closed again");
  } finally {
    await server.close();
  }
});

test("forward: an external_endpoint that is not host:port fails typed, and the exposure is removed", async () => {
  const { emulator, server } = await setUp();
  try {
    const sandbox = primeVia(server.url, async (request, response) => {
      if (request.method !== "POST") return response;
      const body = await response.json();
      return Response.json({ ...body, external_endpoint: "tcp.example\u001b[31m:99999" });
    });
    await assert.rejects(sandbox.forward(7000), (error: unknown) => {
      assert.ok(error instanceof UnexpectedResponseError);
      assert.ok(!error.message.includes("\u001b"), "no escape character in the message");
      return true;
    });
    assert.equal(emulator.live().exposures, 0);
    await assert.rejects(sandbox.connect(7000), UnexpectedResponseError);
    assert.equal(emulator.live().exposures, 0);
  } finally {
    await server.close();
  }
});

test("connect: aborting its signal closes the connection and removes the exposure", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const controller = new AbortController();
    const connection = await sandbox.connect(7000, { signal: controller.signal });
    assert.equal(emulator.live().exposures, 1);
    controller.abort();
    await connection.closed;
    assert.equal(emulator.live().exposures, 0);
  } finally {
    await server.close();
  }
});
