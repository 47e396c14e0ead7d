/**
 * Shared by the PTY attach tests against hostile WebSocket servers (hostile_attach_test.ts,
 * hostile_attach_frames_test.ts): frames of the PTY protocol, a Tensorlake sandbox pointed at a
 * server of `_hostile_ws_server.ts`, and bounded reads of what the client makes of it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PtyDisconnectedError, type PtyExit, type SandgateError, Tensorlake } from "../../mod.ts";
import { SECRET_API_KEY } from "../helpers/secrets.ts";
import { settleWithin } from "./_hostile_server.ts";
import { startHostileWsServer, type WsPeer, type WsScript } from "./_hostile_ws_server.ts";

export const skip = typeof globalThis.WebSocket !== "function" &&
  "no global WebSocket on this runtime (Node 20): attach needs Node ≥ 22 or the webSocket option";

export const TOKEN = "ptytok-SECRET-9Kd2Lm7Qx4Vb";
export const SESSION = "sess-hostile";
/** Real-time bound of every outcome: a hang fails the test, not the run. */
export const BOUND_MS = 4_000;

export const exitFrame = (code: number) => {
  const frame = new Uint8Array(5);
  frame[0] = 0x03;
  new DataView(frame.buffer).setInt32(1, code);
  return frame;
};
export const dataFrame = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame.set(bytes, 1);
  return frame;
};

/** Resolves once the client's READY frame arrived (bounded). */
export async function ready(peer: WsPeer): Promise<void> {
  for (let i = 0; i < 400 && !peer.messages.some((m) => m[0] === 0x02); i++) {
    if (peer.gone) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function withServer<T>(
  script: WsScript,
  run: (sandbox: ReturnType<Tensorlake["sandbox"]>) => Promise<T>,
): Promise<T> {
  const server = await startHostileWsServer(script);
  try {
    const tensorlake = new Tensorlake({ apiKey: SECRET_API_KEY, rateLimit: false, retry: false });
    return await run(tensorlake.sandbox(server.url));
  } finally {
    await server.close();
  }
}

/** Reads `output` to its end or error (bounded); returns the text and the error, if any. */
export async function drain(
  output: ReadableStream<Uint8Array>,
  maxBytes = 1 << 20,
): Promise<{ text: string; error?: unknown }> {
  const reader = output.getReader();
  let text = "";
  const decoder = new TextDecoder();
  try {
    while (text.length < maxBytes) {
      const { value, done } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
    return { text };
  } catch (error) {
    return { text, error };
  }
}

/** The outcome within the bound, or a failure naming the hang. */
export async function exitOf(exit: Promise<PtyExit>): Promise<PtyExit> {
  const settled = await settleWithin(exit, BOUND_MS);
  assert.equal(settled.hung, false, "exit did not settle");
  return (settled as { value: PtyExit }).value;
}

export function assertDisconnected(exit: PtyExit, byClient = false): PtyDisconnectedError {
  assert.equal(exit.kind, "disconnected", JSON.stringify(exit));
  const error = (exit as { error: SandgateError }).error;
  assert.ok(error instanceof PtyDisconnectedError, String(error));
  assert.equal(error.byClient, byClient);
  return error;
}
