// The WebSocket channel on its own (src/websocket/), with the raw-bytes protocol the TCP
// tunnel uses: against a scripted socket, so each rule is checked without a protocol on top.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ForbiddenError,
  NetworkError,
  type SandgateEvent,
  TimeoutError,
  type WebSocketLike,
} from "../../mod.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { openWebSocket } from "../../src/websocket/open.ts";
import { UpgradeRefused } from "../../src/websocket/runtime.ts";
import { ScriptedSocket } from "../helpers/scripted_socket.ts";

const URL = "wss://example.test/api/v1/tunnels/tcp?port=5432";

async function open(socket: WebSocketLike, options: { maxBufferedBytes?: number } = {}) {
  return await openWebSocket({
    provider: "tensorlake",
    operation: "connect",
    url: URL,
    webSocket: () => socket,
    ...options,
  });
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<number[]> {
  const bytes: number[] = [];
  const reader = readable.getReader();
  for (let i = 0; i < 1000; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes.push(...value);
  }
  return bytes;
}

test("raw bytes both ways: unframed messages of at most 64 KiB, in order", async () => {
  const socket = new ScriptedSocket();
  socket.drained = true;
  const channel = await open(socket);
  assert.equal(socket.binaryType, "arraybuffer");
  const data = new Uint8Array(200 * 1024).map((_, i) => i % 251);
  await channel.write(data);
  assert.deepEqual(socket.sent.map((m) => m.length), [65_536, 65_536, 65_536, 8_192]);
  assert.deepEqual(socket.sent.flat(), [...data]);
  socket.message([1, 2, 3]);
  socket.emit("message", { data: "text is no protocol's" });
  socket.message([4]);
  socket.serverClose(1000, "");
  assert.deepEqual(await readAll(channel.readable), [1, 2, 3, 4]);
  assert.equal((await channel.closed).clean, true);
  await assert.rejects(channel.write(new Uint8Array([9])), NetworkError);
});

test("a close other than 1000 errors the readable with a NetworkError naming the code", async () => {
  const socket = new ScriptedSocket();
  const channel = await open(socket);
  socket.message([1]);
  socket.serverClose(1011, "upstream gone");
  const end = await channel.closed;
  assert.equal(end.clean, false);
  assert.match(end.error.message, /closed by the server: 1011 upstream gone/);
  const reader = channel.readable.getReader();
  await assert.rejects(reader.read(), NetworkError);
});

test("a reader that does not read: the channel ends at maxBufferedBytes, never grows", async () => {
  const socket = new ScriptedSocket();
  const channel = await open(socket, { maxBufferedBytes: 1024 * 1024 });
  const chunk = [...new Uint8Array(64 * 1024)];
  for (let i = 0; i < 64 && socket.readyState === 1; i++) socket.message(chunk);
  const end = await channel.closed;
  assert.equal(end.clean, false);
  assert.match(end.error.message, /fell more than 1048576 bytes behind/);
  assert.equal(socket.readyState, 3, "closed: nothing more is queued");
});

test("the connect deadline runs on the client's clock: TimeoutError, the socket closed", async () => {
  const clock = new FakeClock();
  const socket = new ScriptedSocket();
  socket.readyState = 0; // CONNECTING, and it stays so
  const opening = openWebSocket({
    provider: "tensorlake",
    operation: "connect",
    url: URL,
    webSocket: () => socket,
    timeoutMs: 10_000,
    clock,
  }).then(() => "opened", (error: unknown) => error);
  let settled = false;
  void opening.then(() => (settled = true));
  await clock.tickAsync(9_999);
  assert.equal(settled, false, "still connecting 1 ms before the deadline");
  assert.equal(socket.readyState, 0);
  await clock.tickAsync(1);
  assert.ok(await opening instanceof TimeoutError);
  assert.equal(socket.readyState, 3);
});

test("a refusal the runtime reports (workerd) is the provider's typed ApiError", async () => {
  const error = await openWebSocket({
    provider: "tensorlake",
    operation: "connect",
    url: URL,
    webSocket: () => {
      throw new UpgradeRefused(403, new Headers(), { error: "no", code: "FORBIDDEN" });
    },
  }).then(() => assert.fail("opened"), (e: unknown) => e);
  assert.ok(error instanceof ForbiddenError, String(error));
  assert.equal(error.status, 403);
});

test("events: the upgrade is a request and a 101 response, secrets replaced", async () => {
  const events: SandgateEvent[] = [];
  const socket = new ScriptedSocket();
  const channel = await openWebSocket({
    provider: "tensorlake",
    operation: "connect",
    url: `${URL}&token=tok-secret-77`,
    headers: { Authorization: "Bearer key-secret-88" },
    webSocket: () => socket,
    emit: (event) => events.push(event),
  });
  await channel.close();
  assert.deepEqual(events.map((e) => e.type), ["request", "response"]);
  assert.equal((events[1] as { status: number }).status, 101);
  assert.match(events[0]!.message, /→ GET .*port=5432&token=\[redacted\] \(connect\)/);
  const text = JSON.stringify(events);
  assert.ok(!text.includes("tok-secret-77") && !text.includes("key-secret-88"));
});

test("a factory that answers after the deadline: its late socket is closed, not leaked", async () => {
  const clock = new FakeClock();
  const socket = new ScriptedSocket();
  let answer!: (socket: WebSocketLike) => void;
  const opening = openWebSocket({
    provider: "tensorlake",
    operation: "connect",
    url: URL,
    webSocket: () => new Promise<WebSocketLike>((resolve) => (answer = resolve)),
    timeoutMs: 1_000,
    clock,
  }).then(() => "opened", (error: unknown) => error);
  await clock.tickAsync(1_000);
  assert.ok(await opening instanceof TimeoutError);
  answer(socket);
  for (let i = 0; i < 10 && socket.readyState !== 3; i++) await Promise.resolve();
  assert.equal(socket.readyState, 3, "the socket that came too late was closed");
});
