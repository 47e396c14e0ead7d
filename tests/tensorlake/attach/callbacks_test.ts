// `write` and `onData`: a PTY connection without its streams. The wire is checked against a
// scripted socket (the frames as https://docs.tensorlake.ai/api-reference/v2/pty/websocket
// gives them, the same as `input` sends); the round trip against the emulator's shell.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, PtyDisconnectedError } from "../../../mod.ts";
import { inProcess, scripted } from "./_terminal.ts";

const text = (chunks: Uint8Array[]) => new TextDecoder().decode(concat(chunks));
function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.byteLength) - c.byteLength);
  return all;
}
/** Lets pending microtasks and timers run (bounded: one macrotask turn). */
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Waits (bounded) until the collected output contains `wanted`. */
async function until(chunks: Uint8Array[], wanted: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    if (text(chunks).includes(wanted)) return text(chunks);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`no ${JSON.stringify(wanted)} in ${JSON.stringify(text(chunks))}`);
}

test("emulator: write and onData round trip; exit settles; no callback after it; a late write rejects", async () => {
  const { sandbox } = inProcess();
  await using pty = await sandbox.createPty({ command: "bash" });
  const connection = await pty.attach();
  const chunks: Uint8Array[] = [];
  connection.onData((bytes) => chunks.push(bytes.slice()));
  await until(chunks, "$ ");
  await connection.write("echo hi\n");
  await until(chunks, "\r\nhi\r\n");
  await connection.resize({ cols: 132, rows: 43 });
  await connection.write(new TextEncoder().encode("stty size\r"));
  await until(chunks, "\r\n43 132\r\n");
  await connection.write("exit 3\n");
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 3 });
  const seen = chunks.length;
  await turn();
  assert.equal(chunks.length, seen, "no callback after the end");
  await assert.rejects(connection.write("late"), (e) => {
    assert.ok(e instanceof PtyDisconnectedError);
    assert.match(e.message, /exited \(code 3\)/);
    return true;
  });
});

test("write sends what input sends: 0x00 + bytes, strings as UTF-8; bad input rejects typed, nothing sent", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  await connection.write("hé");
  await connection.write(new Uint8Array([0x03]));
  await connection.write("z".repeat(300));
  await assert.rejects(connection.write(42 as unknown as string), InvalidArgumentError);
  const utf8 = new TextEncoder();
  assert.deepEqual(sockets[0]!.sent.slice(1), [
    [0x00, 0x68, 0xc3, 0xa9],
    [0x00, 0x03],
    [0x00, ...utf8.encode("z".repeat(300))],
  ]);
  await connection.close();
  await assert.rejects(connection.write("x"), PtyDisconnectedError);
});

test("order: write calls go out in call order, and with input in the order each reaches the send queue", async () => {
  const { sandbox, sockets } = scripted((s) => (s.drained = true));
  const connection = await sandbox.attachPty("pty-1", "tok");
  const writer = connection.input.getWriter();
  await writer.ready;
  // Not awaited: write calls in call order; resize shares the queue.
  const all = [
    connection.write("a"),
    connection.write("b"),
    connection.resize({ cols: 2, rows: 3 }),
  ];
  // An idle writer passes its chunk on at once: it is sent before a write made after it.
  all.push(writer.write("c"), connection.write("d"));
  // Awaited: strictly alternating.
  await Promise.all(all);
  await writer.write("e");
  await connection.write("f");
  await writer.write("g");
  const frames = sockets[0]!.sent.slice(1).map((f) =>
    f[0] === 0x00 ? String.fromCharCode(...f.slice(1)) : "resize"
  );
  assert.deepEqual(frames, ["a", "b", "resize", "c", "d", "e", "f", "g"]);
  await connection.close();
});

test("write waits while bufferedAmount is above the high-water mark, as a writer does", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  let done = false;
  const write = connection.write(new Uint8Array(512 * 1024)).then(() => (done = true));
  for (let i = 0; i < 1000 && socket.polls < 10; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(done, false, "the write waits for the socket to drain");
  socket.buffered = 0;
  socket.drained = true;
  await write;
  const payload = socket.sent.slice(1).reduce((n, f) => n + f.length - 1, 0);
  assert.equal(payload, 512 * 1024);
  await connection.close();
});

test("output and onData are exclusive: the first one used decides, the other throws a TypeError", async () => {
  const { sandbox } = scripted();
  const byListener = await sandbox.attachPty("pty-1", "tok");
  byListener.onData(() => {});
  assert.throws(
    () => byListener.output,
    (e) => e instanceof TypeError && /exclusive/.test(e.message),
  );
  const byStream = await sandbox.attachPty("pty-2", "tok");
  const output = byStream.output;
  assert.equal(byStream.output, output, "the same stream each time");
  assert.throws(
    () => byStream.onData(() => {}),
    (e) => e instanceof TypeError && /exclusive/.test(e.message),
  );
  assert.throws(() => byListener.onData("no" as never), InvalidArgumentError);
  await byListener.close();
  await byStream.close();
});

test("output before the first listener is kept and passed to it, in order, in a microtask", async () => {
  const { sandbox, sockets } = scripted((s) => (s.withPause = true));
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  const chunk = [0x00, ...new Uint8Array(64 * 1024).fill(0x61)];
  socket.message([0x00, 0x31]);
  for (let i = 0; i < 4; i++) socket.message(chunk);
  assert.equal(
    socket.paused,
    1,
    "nobody reads: a pausable socket is paused at the high-water mark",
  );
  const got: Uint8Array[] = [];
  connection.onData((bytes) => got.push(bytes.slice()));
  assert.equal(got.length, 0, "not inside onData itself");
  socket.message([0x00, 0x32]); // arrives before the kept output is passed on: still after it
  await turn();
  assert.equal(got.length, 6);
  assert.deepEqual([...got[0]!], [0x31]);
  assert.deepEqual([...got[5]!], [0x32]);
  assert.equal(concat(got).byteLength, 2 + 4 * 64 * 1024);
  assert.equal(socket.resumed, 1, "resumed once the kept output was taken");
  await connection.close();
});

test("output while no listener is subscribed is bounded: past maxBufferedBytes the connection ends", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok", { maxBufferedBytes: 1024 * 1024 });
  const socket = sockets[0]!;
  let heard = 0;
  connection.onData(() => heard++)();
  const chunk = [0x00, ...new Uint8Array(64 * 1024)];
  for (let i = 0; i < 64 && socket.readyState === 1; i++) socket.message(chunk);
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.match(exit.kind === "disconnected" ? exit.error.message : "", /fell more than 1048576/);
  assert.equal(socket.readyState, 3, "the socket was closed: nothing more is kept");
  assert.equal(heard, 0, "unsubscribed: heard nothing");
  // What was kept (up to the cap, received before the end) goes to the next listener.
  let bytes = 0;
  connection.onData((b) => (bytes += b.byteLength));
  await turn();
  assert.ok(bytes > 1024 * 1024 && bytes <= 1024 * 1024 + 64 * 1024, `${bytes} bytes`);
});

test("a listener that throws: the others still get every byte, the connection carries on", async () => {
  const { sandbox, sockets } = scripted((s) => (s.drained = true));
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  let thrown = 0;
  connection.onData(() => {
    thrown++;
    throw new Error("listener bug");
  });
  const got: number[] = [];
  connection.onData((bytes) => got.push(...bytes));
  socket.message([0x00, 1]);
  socket.message([0x00, 2]);
  assert.equal(thrown, 2);
  assert.deepEqual(got, [1, 2]);
  await connection.write("still");
  assert.deepEqual(sockets[0]!.sent.at(-1), [0x00, ...new TextEncoder().encode("still")]);
  socket.message([0x03, 0, 0, 0, 0]);
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 0 });
});

test("unsubscribe: that listener hears nothing more; output meanwhile goes to the next one; after the end, nothing", async () => {
  const { sandbox, sockets } = scripted();
  const connection = await sandbox.attachPty("pty-1", "tok");
  const socket = sockets[0]!;
  const first: number[] = [];
  const off = connection.onData((bytes) => first.push(...bytes));
  socket.message([0x00, 1]);
  off();
  off(); // twice is harmless
  socket.message([0x00, 2]);
  socket.message([0x00, 3]);
  assert.deepEqual(first, [1]);
  const second: number[] = [];
  connection.onData((bytes) => second.push(...bytes));
  await turn();
  assert.deepEqual(second, [2, 3], "kept while nobody listened, then passed on");
  socket.message([0x03, 0, 0, 0, 7]); // the exit frame
  socket.message([0x00, 4]);
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 7 });
  await turn();
  assert.deepEqual(second, [2, 3], "nothing after the end");
});

test("output kept when the program exits before anyone reads: a late listener or stream still gets it", async () => {
  const { sandbox, sockets } = scripted();
  const late = await sandbox.attachPty("pty-1", "tok");
  sockets[0]!.message([0x00, 0x62, 0x79, 0x65]);
  sockets[0]!.message([0x03, 0, 0, 0, 1]);
  assert.deepEqual(await late.exit, { kind: "exited", exitCode: 1 });
  const got: number[] = [];
  late.onData((bytes) => got.push(...bytes));
  await turn();
  assert.deepEqual(got, [0x62, 0x79, 0x65]);

  const streamed = await sandbox.attachPty("pty-2", "tok");
  sockets[1]!.message([0x00, 0x68]);
  sockets[1]!.message([0x03, 0, 0, 0, 2]);
  await streamed.exit;
  const reader = streamed.output.getReader();
  assert.deepEqual([...(await reader.read()).value!], [0x68]);
  assert.equal((await reader.read()).done, true, "then the stream ends");
});
