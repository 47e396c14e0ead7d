import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ForbiddenError,
  InvalidArgumentError,
  NotFoundError,
  PtyDisconnectedError,
  Tensorlake,
  TimeoutError,
} from "../../../mod.ts";
import { createEmulator, FakeClock } from "../../../src/testing/mod.ts";
import { echoResizeExit, inProcess, readUntil } from "./_terminal.ts";

const setup = inProcess;

test("in-process: echo, resize over the socket, exit 3", async () => {
  await echoResizeExit(setup().sandbox);
});

test("in-process: a second client re-attaches to a running PTY by id and token", async () => {
  const { sandbox } = setup();
  await using pty = await sandbox.createPty({ command: "bash" });
  const first = await pty.attach();
  const firstReader = first.output.getReader();
  await readUntil(firstReader, "$ ");
  const second = await sandbox.attachPty(pty.sessionId, pty.token);
  const secondReader = second.output.getReader();
  await second.input.getWriter().write("echo both\n");
  await readUntil(secondReader, "\r\nboth\r\n");
  await readUntil(firstReader, "\r\nboth\r\n");
  // Detaching one client neither kills the PTY nor the other client.
  await second.close();
  const detached = await second.exit;
  assert.equal(detached.kind, "disconnected");
  assert.ok(detached.kind === "disconnected" && detached.error instanceof PtyDisconnectedError);
  assert.equal((detached.error as PtyDisconnectedError).byClient, true);
  let ended = false;
  for (let i = 0; i < 100 && !ended; i++) ended = (await secondReader.read()).done;
  assert.ok(ended, "a detached output ends cleanly after what was queued");
  assert.equal((await pty.info()).sessionId, pty.sessionId);
  await first.input.getWriter().write("exit 0\n");
  assert.deepEqual(await first.exit, { kind: "exited", exitCode: 0 });
});

test("in-process: kill while attached ends the stream with the killed outcome", async () => {
  const { sandbox, emulator } = setup();
  const pty = await sandbox.createPty({ command: "bash" });
  const connection = await pty.attach();
  const reader = connection.output.getReader();
  await readUntil(reader, "$ ");
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  assert.deepEqual(await connection.exit, { kind: "killed" });
  assert.equal((await reader.read()).done, true);
  assert.equal(emulator.live().ptys, 0);
});

test("in-process: a wrong token is an ForbiddenError INVALID_TOKEN, without the token", async () => {
  const { sandbox } = setup();
  await using pty = await sandbox.createPty({ command: "bash" });
  const wrong = "wrong-token-0123456789";
  const error = await sandbox.attachPty(pty.sessionId, wrong).catch((e) => e);
  assert.ok(error instanceof ForbiddenError, String(error));
  assert.equal(error.status, 403);
  assert.equal(error.code, "INVALID_TOKEN");
  assert.ok(!String(error.message).includes(wrong));
  assert.ok(!JSON.stringify(error).includes(wrong));
});

test("in-process: an unknown session is a NotFoundError SESSION_NOT_FOUND", async () => {
  const { sandbox } = setup();
  const error = await sandbox.attachPty("pty-missing", "some-token").catch((e) => e);
  assert.ok(error instanceof NotFoundError, String(error));
  assert.equal(error.code, "SESSION_NOT_FOUND");
});

test("in-process: bad arguments fail before any connection", async () => {
  const { sandbox } = setup();
  await assert.rejects(sandbox.attachPty("", "t"), InvalidArgumentError);
  await assert.rejects(sandbox.attachPty("pty-1", "bad token\n"), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.ok(!e.message.includes("bad token"));
    return true;
  });
  await assert.rejects(
    sandbox.attachPty("pty-1", "t", { timeoutMs: -1 }),
    /options.timeoutMs/,
  );
  await using pty = await sandbox.createPty({ command: "bash" });
  await using connection = await pty.attach();
  await assert.rejects(connection.resize({ cols: 0, rows: 10 }), /cols: must be an integer/);
});

test("in-process: the handshake timeout runs on the client's clock", async () => {
  const clock = new FakeClock();
  const emulator = createEmulator();
  let opened = 0;
  const sandbox = new Tensorlake({
    apiKey: "tl_apiKey_test",
    fetch: emulator.fetch,
    clock,
    // A handshake that never completes.
    webSocket: () => (opened++, new Promise<never>(() => {})),
  }).sandbox("my-sb");
  const attaching = sandbox.attachPty("pty-1", "token-1", { timeoutMs: 5_000 });
  const state: { settled: unknown } = { settled: "pending" };
  attaching.then((v) => (state.settled = v), (e) => (state.settled = e));
  await clock.tickAsync(4_999);
  assert.equal(state.settled, "pending", "not before timeoutMs of the client's time");
  assert.equal(opened, 1);
  await clock.tickAsync(1);
  for (let i = 0; i < 20 && state.settled === "pending"; i++) await Promise.resolve();
  const error: unknown = state.settled;
  assert.ok(error instanceof TimeoutError, String(error));
});

test("in-process: openPty creates and attaches; disposing it kills the PTY", async () => {
  const { sandbox, emulator } = setup();
  {
    await using terminal = await sandbox.openPty({ command: "bash", cols: 100, rows: 30 });
    const reader = terminal.output.getReader();
    await terminal.input.getWriter().write("size\n");
    await readUntil(reader, "\r\n100x30\r\n");
    assert.equal(emulator.live().ptys, 1);
  }
  assert.equal(emulator.live().ptys, 0);
});

test("in-process: the connection shows no token in JSON or inspect output", async () => {
  const { sandbox } = setup();
  await using pty = await sandbox.createPty({ command: "bash" });
  await using connection = await pty.attach();
  assert.deepEqual(JSON.parse(JSON.stringify(connection)), { sessionId: pty.sessionId });
  const { inspect } = await import("node:util");
  assert.ok(!inspect(connection, { showHidden: true, depth: 5 }).includes(pty.token));
  assert.match(inspect(connection), /^PtyConnection/);
});

test("in-process: an aborted signal detaches, the PTY keeps running", async () => {
  const { sandbox } = setup();
  await using pty = await sandbox.createPty({ command: "bash" });
  const controller = new AbortController();
  const connection = await pty.attach({ signal: controller.signal });
  controller.abort();
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.equal((await pty.info()).sessionId, pty.sessionId);
  const aborted = new AbortController();
  aborted.abort(new Error("stop"));
  await assert.rejects(pty.attach({ signal: aborted.signal }), /stop/);
});
