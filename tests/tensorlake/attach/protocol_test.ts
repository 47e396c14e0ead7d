// The wire bytes of PTY attach, asserted as literals from
// https://docs.tensorlake.ai/api-reference/v2/pty/websocket (opcodes; resize =
// cols u16 BE then rows u16 BE; exit = i32 BE; close reason exit:<code>; kill =
// 1001 "session terminated") and tensorlakeai/tensorlake
// crates/cli/src/commands/sbx/ssh.rs (an exit frame shorter than 5 bytes is
// ignored), against a scripted socket rather than our emulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  InvalidArgumentError,
  NetworkError,
  PtyDisconnectedError,
  type SandgateEvent,
  Tensorlake,
  type WebSocketFactory,
} from "../../../mod.ts";
import { ScriptedSocket } from "../../helpers/scripted_socket.ts";
import { scripted } from "./_terminal.ts";

test("the URL, both token carriers, and READY as the first frame", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok-123");
  const socket = sockets[0]!;
  assert.equal(socket.url, "wss://my-sb.sandbox.tensorlake.ai/api/v1/pty/pty-1/ws?token=tok-123");
  assert.equal(socket.headers["X-PTY-Token"], "tok-123");
  assert.equal(socket.headers.Authorization, "Bearer tl_apiKey_test");
  assert.equal(socket.binaryType, "arraybuffer");
  assert.deepEqual(socket.sent, [[0x02]]);
  assert.deepEqual(JSON.parse(JSON.stringify(connection)), { sessionId: "pty-1" });
  await connection.close();
});

test("input is 0x00 + bytes (strings as UTF-8); resize is 0x01 + cols BE + rows BE", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const writer = connection.input.getWriter();
  await writer.write("hé");
  await writer.write(new Uint8Array([0x03]));
  // Within the documented 1..1000 cols and 1..500 rows, bytes still tell cols from rows.
  await connection.resize({ cols: 0x0203, rows: 0x0104 });
  assert.deepEqual(sockets[0]!.sent.slice(1), [
    [0x00, 0x68, 0xc3, 0xa9],
    [0x00, 0x03],
    [0x01, 0x02, 0x03, 0x01, 0x04],
  ]);
  await connection.close();
});

test("string input of any length and script is one data frame of its UTF-8", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const writer = connection.input.getWriter();
  // ASCII, non-ASCII after ASCII, a surrogate pair, a lone surrogate (U+FFFD), long
  // text either side of the short-text path (256 characters), and the empty string.
  const texts = ["k", "ab€c", "\u{1F600}", "x\uD800", "y".repeat(256), "z".repeat(257)];
  texts.push("é".repeat(300), "");
  for (const text of texts) await writer.write(text);
  const utf8 = new TextEncoder();
  assert.deepEqual(
    sockets[0]!.sent.slice(1),
    texts.map((text) => [0x00, ...utf8.encode(text)]),
  );
  await connection.close();
});

test("input that is neither bytes nor a string: the write rejects, typed, and nothing is sent", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const writer = connection.input.getWriter();
  await assert.rejects(
    writer.write(42 as unknown as string),
    (error) => error instanceof InvalidArgumentError && error.message.includes("input chunk"),
  );
  assert.deepEqual(sockets[0]!.sent, [[0x02]]);
  await connection.close();
});

test("output frames stream in order; an i32 BE exit frame ends with its (signed) code", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  socket.message([0x00, 0x61]);
  socket.message([0x03, 0x00, 0x00]); // malformed exit: ignored
  socket.message([0x07, 0x01]); // unknown opcode: ignored
  socket.emit("message", { data: "text frames are not the protocol" });
  socket.message([0x00, 0x62]);
  socket.message([0x03, 0xff, 0xff, 0xff, 0xfe]);
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: -2 });
  const chunks: number[] = [];
  const reader = connection.output.getReader();
  for (let i = 0; i < 10; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(...value);
  }
  assert.deepEqual(chunks, [0x61, 0x62]);
});

test("close reason exit:<code> without a frame is the exit; 1001 session terminated is killed", async () => {
  const { sandbox, sockets } = scripted();
  const a = await sandbox.attachPty("pty-1", "tok");
  sockets[0]!.serverClose(1000, "exit:7");
  assert.deepEqual(await a.exit, { kind: "exited", exitCode: 7 });
  const b = await sandbox.attachPty("pty-2", "tok");
  sockets[1]!.serverClose(1001, "session terminated");
  assert.deepEqual(await b.exit, { kind: "killed" });
  const c = await sandbox.attachPty("pty-3", "tok");
  sockets[2]!.serverClose(1011, "internal error");
  const exit = await c.exit;
  assert.equal(exit.kind, "disconnected");
  assert.ok(exit.kind === "disconnected" && exit.error instanceof PtyDisconnectedError);
  assert.equal((exit.error as PtyDisconnectedError).closeCode, 1011);
  await assert.rejects(c.output.getReader().read(), PtyDisconnectedError);
  await assert.rejects(c.input.getWriter().write("x"), PtyDisconnectedError);
});

// tensorlakeai/tensorlake@cab3838 typescript/src/sandbox.ts (parseInt, NaN → -1) and
// src/tensorlake/sandbox/pty.py (int(), ValueError → -1): a close reason that starts with
// exit: but carries no int32 is an exit of -1, not a disconnect.
test("close reason exit:<not an int32> is an exit of -1, as upstream's clients read it", async () => {
  const reasons = ["exit:abc", "exit:", "exit:7abc", "exit:99999999999", "exit:-2147483648"];
  const expected = [-1, -1, -1, -1, -2147483648];
  for (const [i, reason] of reasons.entries()) {
    const { sandbox, sockets } = scripted();
    const connection = await sandbox.attachPty(`pty-${i}`, "tok");
    sockets[0]!.serverClose(1000, reason);
    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: expected[i] }, reason);
  }
  const { sandbox, sockets } = scripted();
  const other = await sandbox.attachPty("pty-x", "tok");
  sockets[0]!.serverClose(1000, "exited:3");
  assert.equal((await other.exit).kind, "disconnected");
});

test("a fast writer waits while bufferedAmount is above the high-water mark", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  let done = false;
  const write = connection.input.getWriter().write(new Uint8Array(512 * 1024)).then(() => {
    done = true;
  });
  // The writer sends 64 KiB frames until bufferedAmount passes 256 KiB, then polls it.
  for (let i = 0; i < 1000 && socket.polls < 10; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(done, false, "the write waits for the socket to drain");
  const sentWhileFull = socket.sent.length;
  assert.ok(sentWhileFull >= 2 && sentWhileFull <= 6, `sent ${sentWhileFull} frames`);
  socket.buffered = 0; // the network drained, and keeps up from now on
  socket.drained = true;
  await write;
  assert.equal(done, true);
  const payload = socket.sent.slice(1).reduce((n, f) => n + f.length - 1, 0);
  assert.equal(payload, 512 * 1024, "every byte sent, in ≤ 64 KiB frames");
  assert.ok(socket.sent.slice(1).every((f) => f[0] === 0x00 && f.length <= 64 * 1024 + 1));
  await connection.close();
});

test("a paused reader pauses a pausable socket (ws) and resumes it when read", async () => {
  const { sandbox, sockets } = scripted((s) => (s.withPause = true));
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  const chunk = [0x00, ...new Uint8Array(64 * 1024)];
  for (let i = 0; i < 8; i++) socket.message(chunk);
  assert.equal(socket.paused, 1, "paused once the stream's high-water mark was reached");
  const reader = connection.output.getReader();
  for (let i = 0; i < 8; i++) await reader.read();
  assert.ok(socket.resumed >= 1, "resumed once read");
  await connection.close();
});

test("a paused reader on an unpausable socket is dropped past maxBufferedBytes", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok", { maxBufferedBytes: 1024 * 1024 });
  const socket = sockets[0]!;
  const chunk = [0x00, ...new Uint8Array(64 * 1024)];
  for (let i = 0; i < 64 && socket.readyState === 1; i++) socket.message(chunk);
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.match(exit.kind === "disconnected" ? exit.error.message : "", /fell more than 1048576/);
  assert.equal(socket.readyState, 3, "the socket was closed: nothing more is queued");
  // The reader learns that output was lost (the stream errors, after nothing).
  await assert.rejects(connection.output.getReader().read(), PtyDisconnectedError);
});

test("a write while close() is pending is delivered or rejects, never dropped (issue 27 item 10)", async () => {
  const { sandbox, sockets } = scripted((s) => (s.lingering = true));
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  const writer = connection.input.getWriter();
  // A write queued before close(): still waiting for the socket to drain when close() starts.
  const early = writer.write(new Uint8Array(512 * 1024)).then(() => "resolved", (e) => e);
  for (let i = 0; i < 1000 && socket.polls < 3; i++) await new Promise((r) => setTimeout(r, 1));
  const closing = connection.close();
  // A write made once close() has started.
  const late = writer.write("late\n").then(() => "resolved", (e) => e);
  socket.buffered = 0;
  socket.drained = true;
  const earlyOutcome = await early;
  const lateOutcome = await late;
  socket.serverClose(1000, "");
  await closing;
  const closeAt = socket.sent.findIndex((frame) => frame[0] === -1);
  const delivered = (frames: number[][]) =>
    frames.slice(1).reduce((n, f) => n + (f[0] === 0x00 ? f.length - 1 : 0), 0);
  assert.deepEqual(socket.dropped, [], "nothing handed to a closing socket");
  // Queued before close(): delivered whole, ahead of the close frame.
  assert.equal(earlyOutcome, "resolved");
  assert.equal(delivered(socket.sent.slice(0, closeAt)), 512 * 1024);
  // Made once close() started: rejects (detached by the client); its bytes were never sent.
  assert.ok(lateOutcome instanceof PtyDisconnectedError, String(lateOutcome));
  assert.equal((lateOutcome as PtyDisconnectedError).byClient, true);
  assert.ok(!socket.sent.some((f) => f.length === 6 && f[1] === 0x6c), "late bytes not sent");
});

test("close() when the server never answers the closing handshake: bounded, then terminate()", async () => {
  let terminated = 0;
  const { sandbox, sockets } = scripted((s) => {
    s.lingering = true;
    // The `ws` package's terminate(): drops TCP, then reports an abnormal close.
    Object.assign(s, { terminate: () => (terminated++, s.serverClose(1006, "")) });
  });
  const connection = await sandbox.attachPty("pty-1", "tok");
  let closed = false;
  const closing = connection.close().then(() => (closed = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(closed, false, "close() waits for the server's closing handshake first");
  assert.equal(sockets[0]!.readyState, 2, "the close frame is sent (CLOSING)");
  await closing; // the 2 s wait, then terminate(): a silent server cannot hold it longer
  assert.equal(terminated, 1);
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.equal(exit.kind === "disconnected" && (exit.error as PtyDisconnectedError).byClient, true);
});

test("the upgrade goes through the client's pipeline: onEvent sees it, without the token", async () => {
  const events: SandgateEvent[] = [];
  const sockets: ScriptedSocket[] = [];
  let fail = false;
  const webSocket: WebSocketFactory = (url, init) => {
    if (fail) throw new Error(`cannot reach ${url}`);
    const socket = new ScriptedSocket();
    socket.url = url;
    socket.headers = init.headers;
    sockets.push(socket);
    return socket;
  };
  const tensorlake = new Tensorlake({
    apiKey: "tl_apiKey_events",
    webSocket,
    onEvent: (event) => events.push(event),
  });
  const connection = await tensorlake.sandbox("my-sb").attachPty("pty-1", "tok-secret-123");
  // The same key resolver as the HTTP calls gives the bearer.
  assert.equal(sockets[0]!.headers.Authorization, "Bearer tl_apiKey_events");
  await connection.close();
  fail = true;
  await assert.rejects(
    tensorlake.sandbox("my-sb").attachPty("pty-2", "tok-secret-123"),
    (error: unknown) => error instanceof NetworkError,
  );
  const url = (id: string) =>
    `wss://my-sb.sandbox.tensorlake.ai/api/v1/pty/${id}/ws?token=[redacted]`;
  assert.deepEqual(
    events.map((
      e,
    ) => [e.type, e.operation, "url" in e ? e.url : "", "status" in e ? e.status : ""]),
    [
      ["request", "attachPty", url("pty-1"), ""],
      ["response", "attachPty", url("pty-1"), 101],
      ["request", "attachPty", url("pty-2"), ""],
      ["response", "attachPty", url("pty-2"), null],
    ],
  );
  assert.match(events[3]!.message, /failed \(NetworkError\)/);
  assert.ok(events.every((e) => !JSON.stringify(e).includes("tok-secret-123")));
  assert.ok(events.every((e) => !JSON.stringify(e).includes("tl_apiKey_events")));
});
