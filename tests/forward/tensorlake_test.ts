// Tensorlake forwarding against the served emulator: the TCP tunnel
// WebSocket (/api/v1/tunnels/tcp?port=N) relays to the service the test
// declared; real TCP clients (node:net, redis-cli) go through forward(),
// and connect() gives the same bytes as Web streams.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, NetworkError, type SandgateEvent, Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { redisSkipReason, startRedisServer } from "../helpers/redis_server.ts";
import { echo, exchange, pattern, readAll, redisCli, refuses } from "./_helpers.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
// Node 20 has no global WebSocket (docs/runtimes.md).
const noWebSocket = typeof globalThis.WebSocket !== "function" && "no global WebSocket (Node 20)";

async function setUp(options: Parameters<typeof createEmulator>[0] = {}) {
  const emulator = createEmulator({ services: { 7000: echo }, ...options });
  const server = await serve(emulator);
  const sandbox = new Tensorlake({ apiKey: "k", proxyUrl: server.url }).sandbox("sb");
  return { emulator, server, sandbox };
}

test("tunnel: a TCP client reaches the sandbox's service through forward(); close stops it", {
  skip: noWebSocket,
}, async () => {
  const { server, sandbox } = await setUp();
  try {
    const forward = await sandbox.forward(7000);
    assert.equal(forward.remotePort, 7000);
    // No half-close over the tunnel: the client reads the echo before it hangs up.
    const reply = await exchange(forward.port, "hello through the tunnel", {
      end: false,
      until: 24,
    });
    assert.equal(text(reply), "hello through the tunnel");
    assert.equal(text(await exchange(forward.port, "again", { end: false, until: 5 })), "again");
    assert.equal(forward.stats.connections, 2);
    assert.equal(forward.stats.bytesIn, 29);
    await forward.close();
    await forward.closed;
    assert.equal(forward.stats.activeConnections, 0);
    assert.ok(await refuses(forward.port));
  } finally {
    await server.close();
  }
});

test("tunnel: redis-cli talks to a real redis-server through forward()", {
  skip: noWebSocket || redisSkipReason(),
}, async () => {
  const redis = await startRedisServer();
  const { server, sandbox } = await setUp({ services: { 6379: `127.0.0.1:${redis.port}` } });
  try {
    await using forward = await sandbox.forward(6379);
    const cli = (...args: string[]) => redisCli(forward.port, ...args);
    assert.equal(await cli("SET", "greeting", "through-tensorlake"), "OK");
    assert.equal(await cli("GET", "greeting"), "through-tensorlake");
    assert.equal(forward.stats.failedConnections, 0);
  } finally {
    await server.close();
    await redis.stop();
  }
});

test(
  "tunnel: a port nothing listens on is refused (502): the client is hung up on, the error reported",
  {
    skip: noWebSocket,
  },
  async () => {
    const { server, sandbox } = await setUp();
    try {
      const errors: unknown[] = [];
      await using forward = await sandbox.forward(7999, {
        onConnectionError: (e) => errors.push(e),
      });
      assert.equal((await exchange(forward.port, "anyone?", { end: false })).byteLength, 0);
      assert.equal(forward.stats.failedConnections, 1);
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof NetworkError || (errors[0] as Error).name === "ServerError");
      await assert.rejects(sandbox.connect(7999), (error: Error) => {
        assert.match(error.message, /7999/);
        return true;
      });
    } finally {
      await server.close();
    }
  },
);

test("tunnel: a refused API key fails connect() (401)", { skip: noWebSocket }, async () => {
  const { server } = await setUp({ apiKeys: ["the-right-key"] });
  try {
    const sandbox = new Tensorlake({ apiKey: "a-wrong-key", proxyUrl: server.url }).sandbox("sb");
    await assert.rejects(sandbox.connect(7000), (error: Error) => {
      assert.doesNotMatch(error.message + String(error.stack), /a-wrong-key/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("connect: the tunnel as a duplex Web stream pair", { skip: noWebSocket }, async () => {
  const { server, sandbox } = await setUp();
  try {
    const connection = await sandbox.connect(7000);
    const writer = connection.writable.getWriter();
    await writer.write(new TextEncoder().encode("ping over the tunnel"));
    const reader = connection.readable.getReader();
    let seen = "";
    while (seen.length < 20) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += text(value);
    }
    assert.equal(seen, "ping over the tunnel");
    reader.releaseLock();
    await connection.close();
    await connection.closed;
    assert.equal(await readAll(connection.readable), "");
  } finally {
    await server.close();
  }
});

test("forward/connect: bad input is refused before any request or listener", async () => {
  const { emulator, server, sandbox } = await setUp();
  try {
    const cases: [() => Promise<unknown>, string][] = [
      [() => sandbox.forward(0), "remotePort"],
      [() => sandbox.forward(65536), "remotePort"],
      [() => sandbox.forward("22" as never), "remotePort"],
      [() => sandbox.forward(22, { localPort: 1.5 }), "options.localPort"],
      [() => sandbox.forward(22, { host: "" }), "options.host"],
      [() => sandbox.connect(-1), "remotePort"],
      [() => sandbox.connect(22, { signal: "no" as never }), "options.signal"],
      [() => sandbox.connect(22, { maxBufferedBytes: 10 }), "options.maxBufferedBytes"],
      [() => sandbox.forward(22, { maxBufferedBytes: 1.5 }), "options.maxBufferedBytes"],
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

test("tunnel: the upgrade goes through the client's pipeline (bearer, onEvent)", {
  skip: noWebSocket,
}, async () => {
  const emulator = createEmulator({ services: { 7000: echo } });
  const server = await serve(emulator);
  const events: SandgateEvent[] = [];
  try {
    const sandbox = new Tensorlake({
      apiKey: "tl_apiKey_tunnel",
      proxyUrl: server.url,
      onEvent: (event) => events.push(event),
    }).sandbox("sb");
    const connection = await sandbox.connect(7000);
    await connection.close();
    const url = `${server.url.replace(/^http/, "ws")}/api/v1/tunnels/tcp?port=7000`;
    assert.deepEqual(
      events.map((
        e,
      ) => [e.type, e.operation, "url" in e ? e.url : "", "status" in e ? e.status : ""]),
      [["request", "connect", url, ""], ["response", "connect", url, 101]],
    );
    assert.ok(events.every((e) => !JSON.stringify(e).includes("tl_apiKey_tunnel")));
  } finally {
    await server.close();
  }
});

/** `promise`, or a failure naming `what` after 20 s (a bound on a wait, not a timing check). */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within 20 s`)), 20_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test(
  "tunnel: a local reader that falls maxBufferedBytes behind is reset, never given a short clean end",
  {
    // Deno's WebSocket cannot pause, so the reader falls behind. Bun's pauses (nothing
    // overflows); under Node 22's the flood did not overflow either in this harness (unexplained).
    skip: !("Deno" in globalThis) && "the overflow is reproduced with Deno's WebSocket only",
  },
  async () => {
    const flood = new Uint8Array(1024 * 1024);
    const { server, sandbox } = await setUp({
      services: {
        // 32 MiB as fast as the tunnel takes it; it stops at the reset.
        7002: async (connection) => {
          const writer = connection.writable.getWriter();
          for (let i = 0; i < 32; i++) {
            if (await writer.write(flood).then(() => false, () => true)) break;
          }
          await writer.close().catch(() => {});
        },
      },
    });
    try {
      let failed!: (error: unknown) => void;
      const failure = new Promise<unknown>((resolve) => failed = resolve);
      await using forward = await sandbox.forward(7002, {
        maxBufferedBytes: 1024,
        onConnectionError: failed,
      });
      const { connect } = await import("node:net");
      const socket = connect({ host: "127.0.0.1", port: forward.port });
      socket.pause(); // the local client does not read
      const outcome = new Promise<string>((resolve) => {
        socket.on("error", (error: Error & { code?: string }) => resolve(error.code ?? "error"));
        socket.on("end", () => resolve("end"));
      });
      assert.match(String(await within(failure, "the overflow")), /behind/);
      socket.resume();
      assert.equal(await within(outcome, "the reset"), "ECONNRESET");
      assert.equal(forward.stats.failedConnections, 1);
    } finally {
      await server.close();
    }
  },
);

test(
  "tunnel: 8 MiB each way arrive intact and counted (socket to WebSocket, backpressure both ways)",
  {
    skip: noWebSocket,
  },
  async () => {
    const { server, sandbox } = await setUp();
    try {
      await using forward = await sandbox.forward(7000);
      const data = pattern(8 * 1024 * 1024);
      // No half-close over the tunnel: the client keeps its side open until the echo is back.
      const back = await exchange(forward.port, data, { end: false, until: data.byteLength });
      assert.equal(back.byteLength, data.byteLength);
      assert.ok(Buffer.from(back).equals(Buffer.from(data)), "the echo differs from what was sent");
      assert.equal(forward.stats.bytesOut, data.byteLength);
      assert.equal(forward.stats.bytesIn, data.byteLength);
    } finally {
      await server.close();
    }
  },
);

test("tunnel: the service's clean end reaches the client after every byte it sent", {
  skip: noWebSocket,
}, async () => {
  const sent = pattern(3 * 1024 * 1024);
  const { server, sandbox } = await setUp({
    services: {
      7003: async (connection) => {
        const writer = connection.writable.getWriter();
        await writer.write(sent);
        await writer.close(); // A close frame with code 1000.
      },
    },
  });
  try {
    const errors: unknown[] = [];
    await using forward = await sandbox.forward(7003, { onConnectionError: (e) => errors.push(e) });
    const got = await exchange(forward.port, "", { end: false }); // Resolves at the client's end.
    assert.equal(got.byteLength, sent.byteLength);
    assert.ok(Buffer.from(got).equals(Buffer.from(sent)), "the bytes differ from what was sent");
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test("tunnel: a WebSocket the server breaks (1011) resets the client, never a clean end", {
  skip: noWebSocket,
}, async () => {
  const { server, sandbox } = await setUp({
    services: {
      // Answers the client's first bytes (the relay is up both ways by then), then fails.
      7004: async (connection) => {
        const reader = connection.readable.getReader();
        await reader.read();
        const writer = connection.writable.getWriter();
        await writer.write(new TextEncoder().encode("partial"));
        await writer.abort(new Error("the service broke")); // A close frame with code 1011.
      },
    },
  });
  try {
    let failed!: (error: unknown) => void;
    const failure = new Promise<unknown>((resolve) => failed = resolve);
    await using forward = await sandbox.forward(7004, { onConnectionError: failed });
    const { connect } = await import("node:net");
    const outcome = await within(
      new Promise<string>((resolve) => {
        const client = connect({ host: "127.0.0.1", port: forward.port, allowHalfOpen: true });
        client.on("connect", () => client.write("go"));
        client.on("data", () => {});
        client.on("end", () => resolve("a clean end"));
        client.on("error", (error: Error & { code?: string }) => resolve(error.code ?? "error"));
      }),
      "the reset",
    );
    assert.equal(outcome, "ECONNRESET");
    const error = await within(failure, "the failure");
    assert.ok(error instanceof NetworkError, String(error));
    assert.match(error.message, /1011/);
  } finally {
    await server.close();
  }
});
