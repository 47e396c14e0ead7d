/**
 * The socket-to-socket relay of two `node:net` connections (what a Prime
 * Intellect forward runs: a local client to the exposure's endpoint) keeps
 * every promise of the stream relay: bytes both ways and counted, an end
 * half-closes the other side, a broken side resets the other (never a clean
 * end), and a connection whose streams were used is relayed through them.
 * Real sockets on 127.0.0.1 only, under Deno, Node and Bun.
 *
 * @module
 */
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";
import { test } from "node:test";
import { relay } from "../../src/forward/forward.ts";
import {
  connectTcp,
  listenTcp,
  loadNodeNet,
  relaySockets,
  type TcpListener,
} from "../../src/forward/tcp_node.ts";
import type { TcpConnection } from "../../src/forward/types.ts";
import { exchange, pattern } from "./_helpers.ts";

/** A service on 127.0.0.1 running `handle` on each connection. */
async function service(
  handle: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** A listener relaying each connection to 127.0.0.1:`port` socket to socket; results kept. */
async function relayTo(port: number) {
  const net = (await loadNodeNet())!;
  const results: Promise<unknown>[] = [];
  const counts = { out: 0, in: 0 };
  const listener: TcpListener = await listenTcp(net, "127.0.0.1", 0, (local) => {
    results.push(
      connectTcp(net, "127.0.0.1", port).then((far) => {
        const relayed = relaySockets(local, far, (n) => counts.out += n, (n) => counts.in += n);
        assert.ok(relayed, "two untouched node:net connections are relayed socket to socket");
        return relayed;
      }),
    );
  });
  return { listener, results, counts };
}

/** A listener on 127.0.0.1 whose first accepted connection `first` resolves with. */
async function listenOnce() {
  const net = (await loadNodeNet())!;
  let accept!: (connection: TcpConnection) => void;
  const first = new Promise<TcpConnection>((resolve) => accept = resolve);
  const listener = await listenTcp(net, "127.0.0.1", 0, (c) => accept(c));
  return { net, listener, first };
}

test("socket relay: 8 MiB each way arrive intact and counted; the client's end half-closes the service", async () => {
  const echo = await service((socket) => socket.pipe(socket));
  const forward = await relayTo(echo.port);
  try {
    const data = pattern(8 * 1024 * 1024);
    const back = await exchange(forward.listener.port, data);
    assert.equal(back.byteLength, data.byteLength);
    assert.ok(Buffer.from(back).equals(Buffer.from(data)), "the echo differs from what was sent");
    assert.deepEqual(await Promise.all(forward.results), [undefined]);
    assert.deepEqual(forward.counts, { out: data.byteLength, in: data.byteLength });
  } finally {
    await forward.listener.close();
    echo.server.close();
  }
});

test("socket relay: a service that resets mid-stream resets the client, never a clean end", async () => {
  // It greets, and resets on the client's answer: the relay is up both ways by then.
  const broken = await service((socket) => {
    let seen = 0;
    socket.on("data", () => {
      if (++seen === 1) socket.write("hello");
      else (socket as Socket & { resetAndDestroy(): void }).resetAndDestroy();
    });
  });
  const forward = await relayTo(broken.port);
  try {
    const outcome = await new Promise<string>((resolve) => {
      const client = connect({
        host: "127.0.0.1",
        port: forward.listener.port,
        allowHalfOpen: true,
      });
      client.on("connect", () => client.write("go"));
      client.once("data", () => client.write("again"));
      client.on("end", () => resolve("a clean end"));
      client.on(
        "error",
        (error: Error & { code?: string }) => resolve(error.code ?? error.message),
      );
    });
    assert.equal(outcome, "ECONNRESET");
    const [failure] = await Promise.all(forward.results);
    assert.equal((failure as Error).name, "NetworkError");
  } finally {
    await forward.listener.close();
    broken.server.close();
  }
});

test("socket relay: a connection whose streams were used is relayed through its streams", async () => {
  const echo = await service((socket) => socket.pipe(socket));
  const { net, listener, first } = await listenOnce();
  try {
    const client = await connectTcp(net, "127.0.0.1", listener.port);
    const far = await connectTcp(net, "127.0.0.1", echo.port);
    const writer = client.writable.getWriter(); // Touched: no longer a candidate.
    const local = await first;
    assert.equal(relaySockets(client, far, () => {}, () => {}), undefined);
    const reader = client.readable.getReader();
    const relayed = relay(local, far, () => {}, () => {});
    await writer.write(new TextEncoder().encode("through streams"));
    await writer.close();
    let text = "";
    for (let i = 0; i < 100; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    assert.equal(text, "through streams");
    assert.equal(await relayed, undefined);
    await client.close();
  } finally {
    await listener.close();
    echo.server.close();
  }
});

test("socket relay: closing one side while bytes flow ends both and reports the close", async () => {
  const quiet = await service(() => {});
  const { net, listener, first } = await listenOnce();
  try {
    const client = await connectTcp(net, "127.0.0.1", listener.port);
    const far = await connectTcp(net, "127.0.0.1", quiet.port);
    const local = await first;
    const relayed = relaySockets(local, far, () => {}, () => {});
    assert.ok(relayed);
    await far.close(); // What forward's close() does to each connection.
    const failure = await relayed;
    assert.equal((failure as Error).name, "NetworkError");
    const reader = client.readable.getReader();
    const end = await reader.read().then(({ done }) => done ? "end" : "data", () => "error");
    assert.ok(end === "end" || end === "error", `the client was left open (${end})`);
    await client.close();
  } finally {
    await listener.close();
    quiet.server.close();
  }
});
