// The attach flow against the emulator over real HTTP (serve(): node:http +
// our RFC 6455 framing) with the runtime's own WebSocket: Deno, Bun, Node 22/24.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ForbiddenError,
  NotFoundError,
  PtyDisconnectedError,
  Tensorlake,
  TimeoutError,
} from "../../../mod.ts";
import { createEmulator, serve } from "../../../src/testing/mod.ts";
import { echoResizeExit, readUntil } from "./_terminal.ts";
import { listenOnLoopback } from "../../helpers/loopback.ts";

// Node 20 has a global WebSocket only with --experimental-websocket (docs/runtimes.md).
const skip = typeof globalThis.WebSocket !== "function" &&
  "no global WebSocket on this runtime (Node 20): attach needs Node ≥ 22 or the webSocket option";

async function served() {
  const emulator = createEmulator({ apiKeys: ["tl_apiKey_test"] });
  const server = await serve(emulator);
  const sandbox = new Tensorlake({ apiKey: "tl_apiKey_test" }).sandbox(server.url);
  return { emulator, server, sandbox };
}

test("served: create → attach → echo hi → resize → exit 3", { skip }, async () => {
  const { server, sandbox } = await served();
  try {
    await echoResizeExit(sandbox);
  } finally {
    await server.close();
  }
});

test("served: the token travels in X-PTY-Token and ?token=, READY first", { skip }, async () => {
  const emulator = createEmulator();
  const seen: { header: string | null; query: string | null }[] = [];
  const server = await serve({
    fetch: emulator.fetch,
    acceptWebSocket(request) {
      const url = new URL(request.url);
      seen.push({
        header: request.headers.get("x-pty-token"),
        query: url.searchParams.get("token"),
      });
      return emulator.acceptWebSocket(request);
    },
  });
  try {
    const sandbox = new Tensorlake({ apiKey: "tl_apiKey_test" }).sandbox(server.url);
    await using pty = await sandbox.createPty({ command: "bash" });
    await using connection = await pty.attach();
    // The emulator only flushes the buffered prompt after READY.
    await readUntil(connection.output.getReader(), "$ ");
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.query, pty.token);
    // Browsers cannot send headers; Deno, Bun and Node do.
    assert.equal(seen[0]!.header, pty.token);
  } finally {
    await server.close();
  }
});

test(
  "served: a second client re-attaches; kill ends both with the killed outcome",
  { skip },
  async () => {
    const { server, sandbox } = await served();
    try {
      const pty = await sandbox.createPty({ command: "bash" });
      const first = await pty.attach();
      const second = await sandbox.attachPty(pty.sessionId, pty.token);
      const reader = second.output.getReader();
      await readUntil(first.output.getReader(), "$ ");
      await second.input.getWriter().write("echo again\r");
      await readUntil(reader, "\r\nagain\r\n");
      await pty.kill();
      assert.deepEqual(await first.exit, { kind: "killed" });
      assert.deepEqual(await second.exit, { kind: "killed" });
    } finally {
      await server.close();
    }
  },
);

test("served: wrong token → ForbiddenError INVALID_TOKEN; unknown → SESSION_NOT_FOUND", {
  skip,
}, async () => {
  const { server, sandbox } = await served();
  try {
    await using pty = await sandbox.createPty({ command: "bash" });
    const error = await sandbox.attachPty(pty.sessionId, "not-the-token").catch((e) => e);
    assert.ok(error instanceof ForbiddenError, String(error));
    assert.equal(error.code, "INVALID_TOKEN");
    const missing = await sandbox.attachPty("pty-none", pty.token).catch((e) => e);
    assert.ok(missing instanceof NotFoundError, String(missing));
    assert.equal(missing.code, "SESSION_NOT_FOUND");
    assert.ok(!String(missing.message).includes(pty.token));
  } finally {
    await server.close();
  }
});

test("served: the server dropping the socket mid-stream errors the output", { skip }, async () => {
  const { server, sandbox } = await served();
  const pty = await sandbox.createPty({ command: "bash" });
  const connection = await pty.attach();
  const reader = connection.output.getReader();
  await readUntil(reader, "$ ");
  await server.close(); // destroys the upgraded socket without a close frame
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.ok(exit.kind === "disconnected" && exit.error instanceof PtyDisconnectedError);
  assert.equal((exit.error as PtyDisconnectedError).byClient, false);
  await assert.rejects(async () => {
    for (let i = 0; i < 100; i++) if ((await reader.read()).done) return;
  }, PtyDisconnectedError);
});

test("served: a handshake that never completes is a TimeoutError", { skip }, async () => {
  const { createServer } = await import("node:net");
  // A TCP server that accepts and never answers the upgrade.
  const sockets: { destroy(): void }[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  const port = await listenOnLoopback(silent);
  try {
    const sandbox = new Tensorlake({ apiKey: "tl_apiKey_test" })
      .sandbox(`http://127.0.0.1:${port}`);
    const error = await sandbox.attachPty("pty-1", "token-1", { timeoutMs: 200 }).catch((e) => e);
    assert.ok(error instanceof TimeoutError, String(error));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
