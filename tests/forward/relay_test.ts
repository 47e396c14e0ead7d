/**
 * The relay of two `node:net` connections (what a Prime Intellect forward
 * runs: a local client to the exposure's endpoint): bytes both ways and
 * counted, an end half-closes the other side, a broken side resets the other
 * (never a clean end), a closed side ends both. Real sockets on 127.0.0.1
 * only, under Deno, Node and Bun.
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

/** A listener relaying each connection to 127.0.0.1:`port`; results kept. */
async function relayTo(port: number) {
  const net = (await loadNodeNet())!;
  const results: Promise<unknown>[] = [];
  const counts = { out: 0, in: 0 };
  const listener: TcpListener = await listenTcp(net, "127.0.0.1", 0, (local) => {
    results.push(
      connectTcp(net, "127.0.0.1", port).then((far) =>
        relay(local, far, (n) => counts.out += n, (n) => counts.in += n)
      ),
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

test("relay: 8 MiB each way arrive intact and counted; the client's end half-closes the service", async () => {
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

test("relay: a service that resets mid-stream resets the client, never a clean end", async () => {
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

test("relay: a forward's close (both sides closed while the relay runs) ends it; the client sees the end", async () => {
  const quiet = await service(() => {});
  const { net, listener, first } = await listenOnce();
  try {
    const client = await connectTcp(net, "127.0.0.1", listener.port);
    const far = await connectTcp(net, "127.0.0.1", quiet.port);
    const local = await first;
    const relayed = relay(local, far, () => {}, () => {});
    await Promise.all([far.close(), local.close()]); // What forward's close() does.
    await relayed;
    const reader = client.readable.getReader();
    const end = await reader.read().then(({ done }) => done ? "end" : "data", () => "error");
    assert.ok(end === "end" || end === "error", `the client was left open (${end})`);
    await client.close();
  } finally {
    await listener.close();
    quiet.server.close();
  }
});
