// sandgate/xterm: a PtyConnection bound to a terminal, checked against an emulated PTY with a
// stand-in terminal that records what xterm.js would be asked to do (the browser test runs the
// real xterm.js in Chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, Tensorlake } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import { connectTerminal, describeExit, type TerminalLike } from "../../src/xterm/mod.ts";

/** A terminal that records writes and lets the test type, paste binary and resize. */
function fakeTerminal(options: { parse?: "sync" | "manual" } = {}) {
  const writes: Uint8Array[] = [];
  const texts: string[] = [];
  const parsed: (() => void)[] = [];
  const listeners = {
    data: new Set<(d: string) => void>(),
    binary: new Set<(d: string) => void>(),
    resize: new Set<(s: { cols: number; rows: number }) => void>(),
  };
  const on = <T>(set: Set<T>) => (listener: T) => {
    set.add(listener);
    return { dispose: () => void set.delete(listener) };
  };
  const terminal: TerminalLike & { cols: number; rows: number } = {
    cols: 80,
    rows: 24,
    write(data, callback) {
      if (typeof data === "string") texts.push(data);
      else writes.push(data);
      if (options.parse === "manual") parsed.push(() => callback?.());
      else callback?.();
    },
    onData: on(listeners.data),
    onBinary: on(listeners.binary),
    onResize: on(listeners.resize),
  };
  const output = () => new TextDecoder().decode(concat(writes));
  return {
    terminal,
    texts,
    output,
    parsed,
    listeners,
    type: (text: string) => listeners.data.forEach((l) => l(text)),
    binary: (text: string) => listeners.binary.forEach((l) => l(text)),
    resize(cols: number, rows: number) {
      terminal.cols = cols;
      terminal.rows = rows;
      listeners.resize.forEach((l) => l({ cols, rows }));
    },
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) all.set(c, (at += c.byteLength) - c.byteLength);
  return all;
}

function emulated() {
  const emulator = createEmulator();
  const sandbox = new Tensorlake({
    apiKey: "demo",
    fetch: emulator.fetch,
    webSocket: emulator.webSocket,
  }).sandbox("my-sandbox");
  return { emulator, sandbox };
}

test("typed input reaches the shell in order; output, the initial size and the exit reach the terminal", async () => {
  const { sandbox } = emulated();
  await using pty = await sandbox.createPty({ command: "bash" });
  const fake = fakeTerminal();
  fake.terminal.cols = 100;
  fake.terminal.rows = 30;
  const binding = connectTerminal(fake.terminal, await pty.attach());
  for (const ch of "stty size\r") fake.type(ch);
  fake.type("echo one two\r");
  fake.type("exit 3\r");
  assert.deepEqual(await binding.exit, { kind: "exited", exitCode: 3 });
  const lines = fake.output().split(/\r?\n/);
  assert.ok(lines.includes("30 100"), `the current size was sent first: ${lines.join("|")}`);
  assert.ok(lines.includes("one two"), "input in order");
  assert.deepEqual(fake.texts, ["\r\n[process exited with code 3]\r\n"]);
  assert.equal(fake.listeners.data.size, 0, "stops listening to the terminal at the exit");
  assert.equal(fake.listeners.resize.size, 0);
});

test("resizes go to the PTY, the latest size winning", async () => {
  const { sandbox } = emulated();
  await using pty = await sandbox.createPty({ command: "bash" });
  const fake = fakeTerminal();
  await using binding = connectTerminal(fake.terminal, await pty.attach());
  fake.resize(90, 20);
  fake.resize(91, 21);
  fake.resize(120, 40);
  fake.type("stty size\r");
  fake.type("exit\r");
  await binding.exit;
  assert.ok(fake.output().split(/\r?\n/).includes("40 120"), fake.output());
  const info = await pty.info();
  assert.deepEqual({ cols: info.cols, rows: info.rows }, { cols: 120, rows: 40 });
});

test("binary input (mouse reports) is sent as bytes, one per code unit", async () => {
  const { sandbox } = emulated();
  await using pty = await sandbox.createPty({ command: "bash" });
  const fake = fakeTerminal();
  const binding = connectTerminal(fake.terminal, await pty.attach());
  fake.binary("echo \xe9\r"); // Latin-1 0xE9: one byte, echoed back as it came
  fake.type("exit\r");
  await binding.exit;
  const raw = fake.output();
  assert.ok(raw.includes("\ufffd"), "0xE9 arrived as one raw byte (not UTF-8 é)");
  assert.ok(!raw.includes("é"));
});

test("flow control: reading pauses while the terminal has more than the high-water mark unparsed", async () => {
  const { sandbox } = emulated();
  await using pty = await sandbox.createPty({ command: "bash" });
  const fake = fakeTerminal({ parse: "manual" });
  const binding = connectTerminal(fake.terminal, await pty.attach(), { highWaterBytes: 4096 });
  fake.type("flood 200000\r");
  // Let the connection deliver what it will without parsing anything.
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
  const unparsed = fake.parsed.length;
  const held = new TextEncoder().encode(fake.output()).byteLength;
  assert.ok(held < 200_000, `stopped reading at the mark: ${held} bytes written unparsed`);
  assert.ok(unparsed > 0);
  // Parse everything: reading resumes and the flood arrives whole.
  fake.type("exit\r");
  let ended = false;
  void binding.exit.then(() => (ended = true));
  for (let turn = 0; !ended && turn < 100_000; turn++) {
    const next = fake.parsed.shift();
    if (next) next();
    else await new Promise((r) => setTimeout(r, 0));
  }
  assert.ok(ended, "the exit came once everything was parsed");
  const x = fake.output().split("").filter((c) => c === "x").length;
  assert.ok(x >= 200_000, `the whole flood arrived: ${x}`);
});

test("dispose detaches (the PTY keeps running) and stops listening", async () => {
  const { sandbox } = emulated();
  await using pty = await sandbox.createPty({ command: "bash" });
  const fake = fakeTerminal();
  const binding = connectTerminal(fake.terminal, await pty.attach());
  await binding.dispose();
  assert.equal(fake.listeners.data.size, 0);
  assert.equal(fake.listeners.resize.size, 0);
  assert.equal((await binding.exit).kind, "disconnected");
  assert.deepEqual(fake.texts, [], "no exit line after the user detached");
  assert.equal((await pty.info()).isAlive, true);
});

test("describeExit names each way a connection ends; highWaterBytes is checked", () => {
  assert.equal(describeExit({ kind: "exited", exitCode: 0 }), "[process exited with code 0]");
  assert.equal(describeExit({ kind: "killed" }), "[session killed]");
  const fake = fakeTerminal();
  assert.throws(
    () => connectTerminal(fake.terminal, {} as never, { highWaterBytes: 0 }),
    (error: unknown) =>
      error instanceof InvalidArgumentError && /options\.highWaterBytes/.test(error.message),
  );
});
