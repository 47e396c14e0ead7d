// The emulator's PTY WebSocket, driven as a raw server-side peer: the
// pre-READY buffering the docs describe ("If you do not send READY, Tensorlake
// buffers output up to 1 MB before disconnecting the client",
// https://docs.tensorlake.ai/api-reference/v2/pty/websocket) and the upgrade
// refusals (403 INVALID_TOKEN, 404 SESSION_NOT_FOUND).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type PeerSocket } from "../../../src/testing/mod.ts";

async function created() {
  const emulator = createEmulator();
  const response = await emulator.fetch(
    new Request("http://127.0.0.1/api/v1/pty", {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ command: "bash" }),
    }),
  );
  const { session_id: id, token } = await response.json();
  return { emulator, id: id as string, token: token as string };
}

function recorder() {
  const frames: Uint8Array[] = [];
  const closes: [number, string][] = [];
  const peer: PeerSocket = {
    bufferedAmount: 0,
    send: (message) => void frames.push(message.slice()),
    close: (code, reason) => void closes.push([code, reason]),
  };
  return { peer, frames, closes };
}

test("upgrade refusals: 404 SESSION_NOT_FOUND, 403 INVALID_TOKEN; the token from header or query", async () => {
  const { emulator, id, token } = await created();
  const missing = emulator.acceptWebSocket(
    new Request(`http://127.0.0.1/api/v1/pty/nope/ws?token=${token}`),
  );
  assert.ok(missing instanceof Response);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).code, "SESSION_NOT_FOUND");
  const wrong = emulator.acceptWebSocket(
    new Request(`http://127.0.0.1/api/v1/pty/${id}/ws`, { headers: { "x-pty-token": "bad" } }),
  );
  assert.ok(wrong instanceof Response);
  assert.equal(wrong.status, 403);
  assert.equal((await wrong.json()).code, "INVALID_TOKEN");
  assert.equal(
    typeof emulator.acceptWebSocket(
      new Request(`http://127.0.0.1/api/v1/pty/${id}/ws?token=${token}`),
    ),
    "function",
  );
  const plain = await emulator.fetch(
    new Request(`http://127.0.0.1/api/v1/pty/${id}/ws`, { headers: { authorization: "Bearer k" } }),
  );
  assert.equal(plain.status, 426);
});

test("output waits for READY, then flushes in order; without READY, 1 MB then disconnect", async () => {
  const { emulator, id, token } = await created();
  const accept = emulator.acceptWebSocket(
    new Request(`http://127.0.0.1/api/v1/pty/${id}/ws?token=${token}`),
  );
  assert.equal(typeof accept, "function");
  const a = recorder();
  const handlers = (accept as (p: PeerSocket) => { message(b: Uint8Array): void })(a.peer);
  handlers.message(new Uint8Array([0x00, ...new TextEncoder().encode("echo x\r")]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(a.frames.length, 0, "nothing before READY");
  handlers.message(new Uint8Array([0x02]));
  const text = a.frames.map((f) => {
    assert.equal(f[0], 0x00);
    return new TextDecoder().decode(f.subarray(1));
  }).join("");
  assert.equal(text, "$ echo x\r\nx\r\n$ ");

  const b = recorder();
  const again = emulator.acceptWebSocket(
    new Request(`http://127.0.0.1/api/v1/pty/${id}/ws?token=${token}`),
  );
  (again as (p: PeerSocket) => { message(b: Uint8Array): void })(b.peer);
  // Client a (ready) floods 2 MB; client b never sends READY.
  handlers.message(new Uint8Array([0x00, ...new TextEncoder().encode("flood 2000000\r")]));
  for (let i = 0; i < 1000 && b.closes.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.deepEqual(b.closes, [[1008, "output buffer full (no READY)"]]);
  assert.equal(b.frames.length, 0);

  handlers.message(new Uint8Array([0x00, ...new TextEncoder().encode("exit 5\r")]));
  for (let i = 0; i < 1000 && a.closes.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.deepEqual([...a.frames.at(-1)!], [0x03, 0, 0, 0, 5]);
  assert.deepEqual(a.closes, [[1000, "exit:5"]]);
});

test("a client that leaves before READY read nothing: the next one gets that output", async () => {
  const { emulator, id, token } = await created();
  const attach = () => {
    const accept = emulator.acceptWebSocket(
      new Request(`http://127.0.0.1/api/v1/pty/${id}/ws?token=${token}`),
    );
    assert.equal(typeof accept, "function");
    const r = recorder();
    type Handlers = { message(b: Uint8Array): void; closed(): void };
    return { ...r, handlers: (accept as (p: PeerSocket) => Handlers)(r.peer) };
  };
  const first = attach();
  first.handlers.message(new Uint8Array([0x00, ...new TextEncoder().encode("echo y\r")]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  first.handlers.closed();
  assert.equal(first.frames.length, 0, "the first client never sent READY");
  const second = attach();
  second.handlers.message(new Uint8Array([0x02]));
  const text = second.frames.map((f) => new TextDecoder().decode(f.subarray(1))).join("");
  assert.equal(text, "$ echo y\r\ny\r\n$ ");
});
