/**
 * Hostile clients of the emulator's RFC 6455 server (src/testing/websocket_server.ts):
 * unmasked frames, reserved bits, oversized length fields and control frames,
 * endless fragments, stray continuations, a ping flood from a client that
 * never reads, and seeded garbage after the handshake. The framing runs on a
 * recording socket (every byte the server writes is counted, nothing drains:
 * the worst case for memory), and once over real TCP against `serve()`,
 * which must keep serving afterwards.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, serve } from "../../src/testing/mod.ts";
import { acceptUpgrade, type RawSocket } from "../../src/testing/websocket_server.ts";
import { mulberry32 } from "../../src/testing/prng.ts";
import { clientFrame, frameHeader, rawUpgrade } from "./_hostile_ws_server.ts";
import { settleWithin } from "./_hostile_server.ts";

/** A socket that records writes and never drains (a client that does not read). */
class RecordingSocket implements RawSocket {
  writableLength = 0;
  written: Uint8Array[] = [];
  ended = false;
  destroyed = false;
  // deno-lint-ignore no-explicit-any
  readonly #listeners = new Map<string, ((arg?: any) => void)[]>();
  write(data: Uint8Array | string): boolean {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.writableLength += bytes.byteLength;
    if (this.written.length < 64) this.written.push(bytes.slice(0, 256));
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const listener of this.#listeners.get("close") ?? []) listener();
  }
  // deno-lint-ignore no-explicit-any
  on(event: string, listener: (arg?: any) => void): void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
  }
  feed(bytes: Uint8Array): void {
    for (const listener of this.#listeners.get("data") ?? []) listener(bytes);
  }
  /** Close codes of the close frames the server wrote. */
  closeCodes(): number[] {
    const codes: number[] = [];
    for (const chunk of this.written) {
      if (chunk[0] === 0x88 && chunk[1]! >= 2 && chunk.byteLength >= 4) {
        codes.push((chunk[2]! << 8) | chunk[3]!);
      }
    }
    // Header and payload are written separately: a close header is followed by its payload.
    for (let i = 0; i + 1 < this.written.length; i++) {
      const header = this.written[i]!;
      const payload = this.written[i + 1]!;
      if (header.byteLength === 2 && header[0] === 0x88 && payload.byteLength >= 2) {
        codes.push((payload[0]! << 8) | payload[1]!);
      }
    }
    return codes;
  }
}

/** Runs the framing on a recording socket; `messages` collects what the application got. */
async function framed() {
  const socket = new RecordingSocket();
  const messages: Uint8Array[] = [];
  let closed = 0;
  const headers = new Headers({
    upgrade: "websocket",
    "sec-websocket-key": "AAAAAAAAAAAAAAAAAAAAAA==",
  });
  await acceptUpgrade(socket, headers, new Uint8Array(0), () => ({
    message: (bytes) => messages.push(bytes),
    closed: () => closed++,
  }));
  return {
    socket,
    messages,
    get closed() {
      return closed;
    },
    /** Ends the socket (clears the server's close timer). */
    done: () => socket.destroy(),
  };
}

test("a well-formed masked message, fragmented with a ping inside, is delivered once", async () => {
  const s = await framed();
  try {
    s.socket.feed(clientFrame(0x2, "hel", { fin: false }));
    s.socket.feed(clientFrame(0x9, "ping"));
    s.socket.feed(clientFrame(0x0, "lo"));
    assert.deepEqual(s.messages.map((m) => new TextDecoder().decode(m)), ["hello"]);
    assert.deepEqual(s.socket.closeCodes(), []);
  } finally {
    s.done();
  }
});

test("an unmasked client frame fails the connection with 1002 and delivers nothing", async () => {
  const s = await framed();
  try {
    s.socket.feed(clientFrame(0x2, "\x00hi", { mask: false }));
    s.socket.feed(clientFrame(0x2, "\x00after")); // ignored: the connection has failed
    assert.equal(s.messages.length, 0);
    assert.deepEqual(s.socket.closeCodes(), [1002]);
    assert.equal(s.socket.ended, true);
  } finally {
    s.done();
  }
});

test("reserved bits, fragmented or long control frames, unknown opcodes: 1002", async () => {
  const cases: [string, Uint8Array][] = [
    [
      "RSV1 set",
      (() => {
        const f = clientFrame(0x2, "x");
        f[0]! |= 0x40;
        return f;
      })(),
    ],
    ["fragmented ping", clientFrame(0x9, "p", { fin: false })],
    ["ping of 126 bytes", clientFrame(0x9, "p".repeat(126))],
    ["opcode 0x3", clientFrame(0x3, "x")],
    ["opcode 0xB", clientFrame(0xb, "x")],
    ["continuation without a message", clientFrame(0x0, "x")],
  ];
  for (const [name, bytes] of cases) {
    const s = await framed();
    try {
      s.socket.feed(bytes);
      assert.deepEqual(s.socket.closeCodes(), [1002], name);
      assert.equal(s.messages.length, 0, name);
    } finally {
      s.done();
    }
  }
  const nested = await framed();
  try {
    nested.socket.feed(clientFrame(0x2, "a", { fin: false }));
    nested.socket.feed(clientFrame(0x2, "b"));
    assert.deepEqual(nested.socket.closeCodes(), [1002], "new message inside a fragmented one");
  } finally {
    nested.done();
  }
});

test("a length field of 2⁶³−1 or of 16 MiB + 1 fails with 1009 before any payload", async () => {
  for (const length of [2n ** 63n - 1n, 16n * 1024n * 1024n + 1n, 2n ** 32n]) {
    const s = await framed();
    try {
      s.socket.feed(frameHeader(0x2, length, { mask: true }));
      assert.deepEqual(s.socket.closeCodes(), [1009], String(length));
    } finally {
      s.done();
    }
  }
});

test("a frame announced big and sent in small pieces is joined once, not per piece", async () => {
  const s = await framed();
  try {
    const frame = clientFrame(0x2, new Uint8Array(4 * 1024 * 1024));
    // 4 MiB in 4 KiB pieces: re-joining the whole buffer per piece would copy ~2 GiB.
    const started = performance.now();
    for (let at = 0; at < frame.byteLength; at += 4096) {
      s.socket.feed(frame.subarray(at, at + 4096));
    }
    assert.equal(s.messages.length, 1);
    assert.equal(s.messages[0]!.byteLength, 4 * 1024 * 1024);
    // Not a timing target (BENCHMARKS.md has those): a bound 50× above a normal run.
    assert.ok(performance.now() - started < 20_000);
  } finally {
    s.done();
  }
});

test("endless empty continuation frames fail with 1009 instead of growing a list", async () => {
  const s = await framed();
  try {
    s.socket.feed(clientFrame(0x2, "", { fin: false }));
    const empty = clientFrame(0x0, "", { fin: false });
    const batch = new Uint8Array(empty.byteLength * 1000);
    for (let i = 0; i < 1000; i++) batch.set(empty, i * empty.byteLength);
    for (let i = 0; i < 100 && s.socket.closeCodes().length === 0; i++) s.socket.feed(batch);
    assert.deepEqual(s.socket.closeCodes(), [1009]);
  } finally {
    s.done();
  }
});

test("fragments adding up past 16 MiB fail with 1009", async () => {
  const s = await framed();
  try {
    const piece = new Uint8Array(1024 * 1024);
    s.socket.feed(clientFrame(0x2, piece, { fin: false }));
    for (let i = 0; i < 20 && s.socket.closeCodes().length === 0; i++) {
      s.socket.feed(clientFrame(0x0, piece, { fin: false }));
    }
    assert.deepEqual(s.socket.closeCodes(), [1009]);
    assert.equal(s.messages.length, 0);
  } finally {
    s.done();
  }
});

test("a ping flood from a client that never reads does not queue a pong backlog", async () => {
  const s = await framed();
  try {
    const ping = clientFrame(0x9, "p".repeat(125));
    const batch = new Uint8Array(ping.byteLength * 1000);
    for (let i = 0; i < 1000; i++) batch.set(ping, i * ping.byteLength);
    // 100 000 pings: ~13 MB of pongs if every one were answered into an undrained socket.
    for (let i = 0; i < 100; i++) s.socket.feed(batch);
    assert.ok(s.socket.writableLength < 256 * 1024, `${s.socket.writableLength} bytes queued`);
    assert.equal(s.socket.destroyed, false);
  } finally {
    s.done();
  }
});

test("seeded garbage after the handshake: the server fails the connection, never throws", async () => {
  const random = mulberry32(0x5eed);
  for (let round = 0; round < 200; round++) {
    const s = await framed();
    try {
      const garbage = new Uint8Array(64 + Math.floor(random() * 4096));
      for (let i = 0; i < garbage.byteLength; i++) garbage[i] = Math.floor(random() * 256);
      for (let i = 0; i < 8 && s.socket.closeCodes().length === 0; i++) s.socket.feed(garbage);
      // Either a close frame (1002/1009) or, for garbage that happens to announce a long
      // frame, still waiting with a bounded buffer: never more than one message's cap.
      const codes = s.socket.closeCodes();
      assert.ok(codes.length <= 1, `round ${round}: ${codes}`);
      if (codes.length === 1) assert.ok([1002, 1009].includes(codes[0]!), `round ${round}`);
      assert.ok(s.socket.writableLength < 64 * 1024);
    } finally {
      s.done();
    }
  }
});

test("over TCP: serve() survives hostile clients and keeps serving the PTY endpoint", async () => {
  const emulator = createEmulator({ apiKeys: ["tl_apiKey_hostile"] });
  const server = await serve(emulator);
  try {
    const created = await fetch(`${server.url}/api/v1/pty`, {
      method: "POST",
      headers: { authorization: "Bearer tl_apiKey_hostile", "content-type": "application/json" },
      body: JSON.stringify({ command: "bash" }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { session_id: id, token } = await created.json() as { session_id: string; token: string };
    const path = `${server.url}/api/v1/pty/${id}/ws?token=${token}`;
    const attacks = [
      clientFrame(0x2, "\x02", { mask: false }),
      frameHeader(0x2, 2n ** 63n - 1n, { mask: true }),
      new Uint8Array(4096).fill(0xff),
      clientFrame(0x9, "p".repeat(200)),
    ];
    for (const attack of attacks) {
      const client = await rawUpgrade(path);
      client.socket.write(attack);
      const settled = await settleWithin(client.closed, 5_000);
      assert.equal(settled.hung, false, "the server did not close a failed connection");
    }
    // Still serving: a well-behaved raw client (READY, then a command) gets the answer.
    // (The prompt printed before anyone attached went to the first, hostile, client.)
    const client = await rawUpgrade(path);
    client.socket.write(clientFrame(0x2, "\x02"));
    client.socket.write(clientFrame(0x2, "\x00echo still-alive\r"));
    const end = Date.now() + 5_000;
    const text = () => new TextDecoder().decode(client.received());
    while (!text().includes("\x00still-alive\r\n") && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(text().includes("\x00still-alive\r\n"), JSON.stringify(text()));
    client.socket.destroy();
  } finally {
    await server.close();
  }
});
