/**
 * The binary frames of Tensorlake's PTY WebSocket (`/api/v1/pty/{id}/ws`).
 *
 * Source: https://docs.tensorlake.ai/api-reference/v2/pty/websocket
 * ("Client-to-server opcodes": `0x00` data, `0x01` resize = cols u16 BE then
 * rows u16 BE, `0x02` ready; "Server-to-client opcodes": `0x00` data, `0x03`
 * exit = i32 BE), checked against tensorlakeai/tensorlake
 * `typescript/src/sandbox.ts` (`PTY_OP_*`, `encodePtyResize`) and
 * `crates/cli/src/commands/sbx/ssh.rs` (`parse_pty_binary_frame`,
 * `parse_legacy_exit_code`: an exit frame shorter than 5 bytes is ignored;
 * close reason `exit:<code>`).
 *
 * @module
 */

/** Client → server: terminal input bytes. Server → client: terminal output bytes. */
export const OP_DATA = 0x00;
/** Client → server: resize, cols then rows, each a big-endian u16. */
export const OP_RESIZE = 0x01;
/** Client → server: ready, no payload; the server then flushes buffered output. */
export const OP_READY = 0x02;
/** Server → client: exit code, a big-endian i32. */
export const OP_EXIT = 0x03;

/** Close code the server uses when the session is killed while attached. */
export const CLOSE_SESSION_TERMINATED = 1001;
/** Close reason the server uses when the session is killed while attached. */
export const REASON_SESSION_TERMINATED = "session terminated";

const encoder = /* @__PURE__ */ new TextEncoder();

/** The READY frame. */
export function readyFrame(): Uint8Array<ArrayBuffer> {
  return new Uint8Array([OP_READY]);
}

/**
 * Strings up to this length are framed by {@link dataFrame} straight from
 * their character codes when they are ASCII (keystrokes, short commands).
 */
export const SHORT_TEXT = 256;

/**
 * A data frame carrying `bytes` (or the UTF-8 of a string). A short ASCII
 * string is written into the frame directly: on Node a `TextEncoder` call
 * costs more than the rest of a keystroke's framing (a native call and a
 * buffer of its own per string).
 */
export function dataFrame(input: Uint8Array | string): Uint8Array<ArrayBuffer> {
  if (typeof input === "string" && input.length <= SHORT_TEXT) {
    const frame = new Uint8Array(input.length + 1);
    frame[0] = OP_DATA;
    for (let i = 0; i < input.length; i++) {
      const code = input.charCodeAt(i);
      if (code > 0x7f) return framed(encoder.encode(input)); // not ASCII: the encoder's UTF-8
      frame[i + 1] = code;
    }
    return frame;
  }
  return framed(typeof input === "string" ? encoder.encode(input) : input);
}

function framed(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame[0] = OP_DATA;
  frame.set(bytes, 1);
  return frame;
}

/** A resize frame: **cols first**, then rows, big-endian u16 each. */
export function resizeFrame(cols: number, rows: number): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(5);
  const view = new DataView(frame.buffer);
  frame[0] = OP_RESIZE;
  view.setUint16(1, cols);
  view.setUint16(3, rows);
  return frame;
}

/** A decoded server frame; unknown or malformed frames decode to `undefined`. */
export type ServerFrame =
  | { op: "data"; bytes: Uint8Array }
  | { op: "exit"; exitCode: number };

/** Decodes one server → client binary message. */
export function decodeServerFrame(message: Uint8Array): ServerFrame | undefined {
  if (message.byteLength === 0) return undefined;
  if (message[0] === OP_DATA) return { op: "data", bytes: message.subarray(1) };
  if (message[0] === OP_EXIT && message.byteLength >= 5) {
    const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
    return { op: "exit", exitCode: view.getInt32(1) };
  }
  return undefined;
}

/**
 * The exit code in a close reason `exit:<code>`; `undefined` when the reason
 * does not start with `exit:`. Anything after `exit:` that is not an int32 is
 * an exit of -1, as in Tensorlake's own clients (tensorlakeai/tensorlake@cab3838
 * `typescript/src/sandbox.ts`: `parseInt`, NaN → -1; `src/tensorlake/sandbox/pty.py`:
 * `int()`, ValueError → -1). They differ on a number with trailing text
 * (`exit:7abc`: 7 in TS, -1 in Python); sandgate takes Python's stricter reading.
 */
export function exitCodeOfReason(reason: string): number | undefined {
  if (!reason.startsWith("exit:")) return undefined;
  const match = /^-?\d+$/.exec(reason.slice(5));
  const code = match ? Number(match[0]) : NaN;
  return Number.isSafeInteger(code) && code >= -(2 ** 31) && code < 2 ** 31 ? code : -1;
}
