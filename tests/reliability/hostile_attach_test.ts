/**
 * PTY attach against hostile WebSocket servers of our own on 127.0.0.1
 * (tests/reliability/_hostile_ws_server.ts: raw node:net, just enough RFC
 * 6455): a close mid-frame, a TCP reset, a server that
 * closes without the exit frame, one that never answers the upgrade and one
 * that goes silent after it. Each ends in a typed outcome (a `PtyExit`, a
 * typed error), with bounded buffering and no hang; the token never shows up
 * in what comes back (close reasons and follow-up bodies that echo it). Hostile frames (garbage,
 * oversized, a flood): hostile_attach_frames_test.ts.
 *
 * The runtime's own WebSocket is the client (Deno, Bun, Node ≥ 22); Node 20
 * has none unflagged, so the file is skipped there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError,
  NetworkError,
  PtyDisconnectedError,
  SandgateError,
  Tensorlake,
  TimeoutError,
} from "../../mod.ts";
import { SECRET_API_KEY, SecretScanner } from "../helpers/secrets.ts";
import { settleWithin } from "./_hostile_server.ts";

import {
  assertDisconnected,
  BOUND_MS,
  dataFrame,
  drain,
  exitOf,
  ready,
  SESSION,
  skip,
  TOKEN,
  withServer,
} from "./_hostile_attach.ts";

test("a close mid-frame (FIN without a close frame): disconnected, output errors", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.frame(0x2, dataFrame("partial "));
      const header = new Uint8Array([0x82, 126, 0x03, 0xe8]); // 1000 bytes announced
      peer.raw(header);
      peer.raw(new Uint8Array([0x00, 0x61, 0x62]));
      peer.socket.end();
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const [exit, read] = await Promise.all([exitOf(connection.exit), drain(connection.output)]);
    const error = assertDisconnected(exit);
    assert.notEqual(error.closeCode, 1000);
    assert.ok(read.error instanceof PtyDisconnectedError, String(read.error));
    assert.equal(read.text, "partial ");
  });
});

test("a TCP reset mid-stream: disconnected, output errors, input rejects typed", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.frame(0x2, dataFrame("some output"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const socket = peer.socket as typeof peer.socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
      else socket.destroy();
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const [exit, read] = await Promise.all([exitOf(connection.exit), drain(connection.output)]);
    assertDisconnected(exit);
    assert.ok(read.error instanceof PtyDisconnectedError, String(read.error));
    await assert.rejects(connection.input.getWriter().write("late\n"), PtyDisconnectedError);
    await assert.rejects(connection.resize({ cols: 10, rows: 10 }), PtyDisconnectedError);
  });
});

test("a server that closes (1000, no reason) without the exit frame: disconnected, not exited", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.frame(0x2, dataFrame("bye"));
      peer.close(1000, "");
      await peer.ended;
      peer.socket.end();
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const error = assertDisconnected(await exitOf(connection.exit));
    assert.equal(error.closeCode, 1000);
  });
});

test("a server that reads the upgrade and never answers: TimeoutError at timeoutMs", {
  skip,
}, async () => {
  await withServer({ handshake: () => "custom" }, async (sandbox) => {
    const settled = await settleWithin(
      sandbox.attachPty(SESSION, TOKEN, { timeoutMs: 200 }),
      BOUND_MS,
    );
    assert.equal(settled.hung, false);
    assert.ok((settled as { error?: unknown }).error instanceof TimeoutError);
  });
});

test("a server that accepts the upgrade and then says nothing: close() is bounded", {
  skip,
}, async () => {
  await withServer({ peer: () => {} }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    // Nothing arrives: the connection stays open (an idle terminal), and detaching does
    // not wait for a closing handshake the server never sends.
    const closed = await settleWithin(connection.close(), BOUND_MS);
    assert.equal(closed.hung, false);
    assertDisconnected(await exitOf(connection.exit), true);
  });
});

test("a server that answers the upgrade with garbage: a typed error, no hang", {
  skip,
}, async () => {
  await withServer({
    handshake: (_, socket) => {
      socket.end("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
      return "custom";
    },
  }, async (sandbox) => {
    const settled = await settleWithin(
      sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS }),
      BOUND_MS,
    );
    assert.equal(settled.hung, false);
    const error = (settled as { error?: unknown }).error;
    // The follow-up getPty finds no such session on this server: 404.
    assert.ok(error instanceof SandgateError, String(error));
  });
});

test("a close reason and a follow-up body that echo the PTY token never reach an error", {
  skip,
}, async () => {
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY, ptyToken: TOKEN });
  // A close reason quoting the token (as text and URL-encoded).
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.close(4000, `bad ${TOKEN} ${encodeURIComponent(TOKEN)}`.slice(0, 120));
      await peer.ended;
      peer.socket.end();
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const exit = await exitOf(connection.exit);
    const error = assertDisconnected(exit);
    assert.equal(error.closeCode, 4000);
    await scanner.scan(exit, "exit of a close reason echoing the token");
    await scanner.scan((await drain(connection.output)).error, "output error");
    await scanner.scan(connection, "connection");
  });
  // A refused upgrade whose follow-up getPty answers with the token (and the key) in its body.
  await withServer({
    handshake: (upgrade, socket) => {
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nx-echo: ${
          upgrade.headers["x-pty-token"]
        }\r\n\r\n`,
      );
      return "custom";
    },
    http: () => ({
      status: 400,
      body: { error: `token ${TOKEN} is wrong; key Bearer ${SECRET_API_KEY}`, code: "BAD" },
    }),
  }, async (sandbox) => {
    const settled = await settleWithin(
      sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS }),
      BOUND_MS,
    );
    const error = (settled as { error?: unknown }).error;
    assert.ok(error instanceof NetworkError || error instanceof ApiError, String(error));
    await scanner.scan(error, "refused upgrade + echoing getPty");
  });
  assert.ok(scanner.scanned >= 4);
  scanner.assertClean();
});

test("a WebSocket constructor that throws quoting the URL and headers leaks nothing", async () => {
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY, ptyToken: TOKEN });
  const throwers: ((url: string, init: { headers: Record<string, string> }) => never)[] = [
    (url) => {
      throw new SyntaxError(`Failed to construct 'WebSocket': The URL '${url}' is invalid.`);
    },
    (url, init) => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { url, headers: init.headers });
    },
    (url, init) => {
      throw { url, init }; // not an Error at all
    },
    (url) => {
      throw `cannot open ${url}`;
    },
    (url, init) => {
      throw new Error("wrapped", {
        cause: Object.freeze(Object.assign(new Error(`inner ${url}`), { init })),
      });
    },
    (url) => {
      throw new AggregateError([new Error(url)], "many");
    },
  ];
  for (const [i, thrower] of throwers.entries()) {
    const tensorlake = new Tensorlake({
      apiKey: SECRET_API_KEY,
      rateLimit: false,
      retry: false,
      webSocket: thrower,
    });
    const sandbox = tensorlake.sandbox("http://127.0.0.1:9");
    const error = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: 1_000 }).then(
      () => assert.fail("attached"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof NetworkError, String(error));
    await scanner.scan(error, `thrower ${i}`);
  }
  scanner.assertClean();
});
