/**
 * Helpers of the attach tests: a sandbox on the in-process emulator or on
 * scripted sockets, read a terminal's output until a text shows up (bounded
 * in bytes), and the whole "done when" flow of issue 16.
 */
import assert from "node:assert/strict";
import {
  type PtyConnection,
  Tensorlake,
  type TensorlakeSandbox,
  type WebSocketFactory,
} from "../../../mod.ts";
import { createEmulator } from "../../../src/testing/mod.ts";
import { ScriptedSocket } from "../../helpers/scripted_socket.ts";

const decoder = new TextDecoder();

/** Reads `output` until `text` appears (at most `maxBytes`); returns everything read. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
  maxBytes = 64 * 1024,
): Promise<string> {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`output ended before ${JSON.stringify(text)}; got ${JSON.stringify(seen)}`);
    }
    seen += decoder.decode(value, { stream: true });
    if (seen.length > maxBytes) throw new Error(`no ${JSON.stringify(text)} in ${maxBytes} bytes`);
  }
  return seen;
}

/**
 * create → attach → write `echo hi` → read `hi` → resize (the shell reports
 * it) → `exit 3` → exit code 3; asserts every step.
 */
export async function echoResizeExit(sandbox: TensorlakeSandbox): Promise<void> {
  const pty = await sandbox.createPty({ command: "bash", cols: 80, rows: 24 });
  try {
    const connection: PtyConnection = await pty.attach({ timeoutMs: 10_000 });
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    // READY was sent at once: the prompt printed before anyone attached arrives.
    await readUntil(reader, "$ ");
    await writer.write("echo hi\n");
    // The PTY echoes the typed line, then the command prints its output.
    const echoed = await readUntil(reader, "\r\nhi\r\n");
    assert.match(echoed, /echo hi\r\nhi\r\n/);
    await connection.resize({ cols: 132, rows: 43 });
    await writer.write(new TextEncoder().encode("stty size\r"));
    await readUntil(reader, "\r\n43 132\r\n");
    await writer.write("exit 3\n");
    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 3 });
    // The output ends cleanly after the exit.
    for (let i = 0; i < 100; i++) if ((await reader.read()).done) break;
    await assert.rejects(writer.write("late"), /exited \(code 3\)/);
  } finally {
    await pty.kill();
  }
}

/** A sandbox on the in-process emulator (REST and PTY WebSocket). */
export function inProcess() {
  const emulator = createEmulator();
  const sandbox = new Tensorlake({
    apiKey: "tl_apiKey_test",
    fetch: emulator.fetch,
    webSocket: emulator.webSocket,
  }).sandbox("my-sb");
  return { emulator, sandbox };
}

/**
 * A sandbox whose WebSockets are {@link ScriptedSocket}s (recorded in `sockets`); `setup` may
 * set them up, and one with `withPause` gets `pause`/`resume` counters (the `ws` package's).
 */
export function scripted(setup?: (socket: ScriptedSocket) => void) {
  const sockets: ScriptedSocket[] = [];
  const webSocket: WebSocketFactory = (url, init) => {
    const socket = new ScriptedSocket();
    socket.url = url;
    socket.headers = init.headers;
    setup?.(socket);
    if (socket.withPause) {
      Object.assign(socket, {
        pause: () => socket.paused++,
        resume: () => socket.resumed++,
      });
    }
    sockets.push(socket);
    return socket;
  };
  const sandbox = new Tensorlake({ apiKey: "tl_apiKey_test", webSocket }).sandbox("my-sb");
  return { sandbox, sockets };
}
