/**
 * PTY attach against hostile WebSocket servers of our own on 127.0.0.1
 * (tests/reliability/hostile_ws_server.ts: raw node:net, just enough RFC
 * 6455): garbage frames, oversized frames and length fields, a flood for a
 * reader that does not read, a close mid-frame, a TCP reset, a server that
 * closes without the exit frame, one that never answers the upgrade and one
 * that goes silent after it. Each ends in a typed outcome (a `PtyExit`, a
 * typed error), with bounded buffering and no hang; the token never shows up
 * in what comes back (close reasons and follow-up bodies that echo it).
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
  type PtyExit,
  SandgateError,
  Tensorlake,
  TimeoutError,
} from "../../mod.ts";
import { SECRET_API_KEY, SecretScanner } from "../helpers/secrets.ts";
import { settleWithin } from "./_hostile_server.ts";
import { startHostileWsServer, type WsPeer, type WsScript } from "./_hostile_ws_server.ts";

const skip = typeof globalThis.WebSocket !== "function" &&
  "no global WebSocket on this runtime (Node 20): attach needs Node ≥ 22 or the webSocket option";

const TOKEN = "ptytok-SECRET-9Kd2Lm7Qx4Vb";
const SESSION = "sess-hostile";
/** Real-time bound of every outcome: a hang fails the test, not the run. */
const BOUND_MS = 4_000;

const exitFrame = (code: number) => {
  const frame = new Uint8Array(5);
  frame[0] = 0x03;
  new DataView(frame.buffer).setInt32(1, code);
  return frame;
};
const dataFrame = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame.set(bytes, 1);
  return frame;
};

/** Resolves once the client's READY frame arrived (bounded). */
async function ready(peer: WsPeer): Promise<void> {
  for (let i = 0; i < 400 && !peer.messages.some((m) => m[0] === 0x02); i++) {
    if (peer.gone) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function withServer<T>(
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
async function drain(
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
async function exitOf(exit: Promise<PtyExit>): Promise<PtyExit> {
  const settled = await settleWithin(exit, BOUND_MS);
  assert.equal(settled.hung, false, "exit did not settle");
  return (settled as { value: PtyExit }).value;
}

function assertDisconnected(exit: PtyExit, byClient = false): PtyDisconnectedError {
  assert.equal(exit.kind, "disconnected", JSON.stringify(exit));
  const error = (exit as { error: SandgateError }).error;
  assert.ok(error instanceof PtyDisconnectedError, String(error));
  assert.equal(error.byClient, byClient);
  return error;
}

test("garbage frames (text, empty binary, unknown opcode byte, short exit) are ignored", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.frame(0x1, "a text frame is not part of the protocol");
      peer.frame(0x2, new Uint8Array(0));
      peer.frame(0x2, new Uint8Array([0x07, 1, 2, 3]));
      peer.frame(0x2, new Uint8Array([0x03, 0, 0])); // exit shorter than 5 bytes: ignored upstream
      peer.frame(0x2, new Uint8Array([0x01, 0, 80, 0, 24])); // a client opcode from the server
      peer.frame(0x2, dataFrame("real output"));
      peer.frame(0x2, exitFrame(7));
      peer.close(1000, "exit:7");
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const { text, error } = await drain(connection.output);
    assert.equal(error, undefined);
    assert.equal(text, "real output");
    assert.deepEqual(await exitOf(connection.exit), { kind: "exited", exitCode: 7 });
  });
});

test("a reserved WebSocket opcode fails the connection: disconnected, output errors", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      peer.frame(0x2, dataFrame("before"));
      peer.frame(0x3, "reserved opcode");
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    const exit = await exitOf(connection.exit);
    assertDisconnected(exit);
    const { error } = await drain(connection.output);
    assert.ok(error instanceof PtyDisconnectedError, String(error));
  });
});

test("a length field of 2⁶³−1 then silence: typed disconnect once the server goes", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      const header = new Uint8Array(10);
      header[0] = 0x82;
      header[1] = 127;
      new DataView(header.buffer).setBigUint64(2, 2n ** 63n - 1n);
      peer.raw(header);
      peer.raw(new Uint8Array(1024));
      // A runtime may fail the frame at once (1009/1002) or wait for the payload: the
      // server gives up after a moment, so both paths end.
      await new Promise((resolve) => setTimeout(resolve, 300));
      peer.socket.destroy();
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, { timeoutMs: BOUND_MS });
    assertDisconnected(await exitOf(connection.exit));
  });
});

test("one 4 MiB frame for a reader that does not read: dropped at maxBufferedBytes", {
  skip,
}, async () => {
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      const big = new Uint8Array(4 * 1024 * 1024 + 1);
      big.fill(0x61, 1);
      peer.frame(0x2, big);
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, {
      timeoutMs: BOUND_MS,
      maxBufferedBytes: 1024 * 1024,
    });
    const error = assertDisconnected(await exitOf(connection.exit), true);
    assert.match(error.message, /fell more than 1048576 bytes behind/);
    // The queue was dropped with the error: nothing of it is kept for the reader.
    const { text, error: readError } = await drain(connection.output);
    assert.equal(text, "");
    assert.ok(readError instanceof PtyDisconnectedError);
  });
});

test("a flood for a reader that does not read: bounded, the client stops taking it", {
  skip,
}, async () => {
  const FLOOD = 256 * 1024 * 1024;
  let sent = 0;
  let closeFrameAt = -1;
  await withServer({
    peer: async (peer) => {
      await ready(peer);
      void peer.ended.then(() => (closeFrameAt = sent));
      const chunk = dataFrame("x".repeat(64 * 1024 - 1));
      // Hostile: it floods on after the client's close frame, and never answers it.
      while (sent < FLOOD && !peer.gone) {
        peer.frame(0x2, chunk);
        sent += chunk.byteLength;
        if (peer.socket.writableLength > 1024 * 1024) {
          await new Promise<void>((resolve) => {
            const done = () => {
              peer.socket.off("drain", done);
              peer.socket.off("close", done);
              resolve();
            };
            peer.socket.on("drain", done);
            peer.socket.on("close", done);
          });
        }
      }
    },
  }, async (sandbox) => {
    const connection = await sandbox.attachPty(SESSION, TOKEN, {
      timeoutMs: BOUND_MS,
      maxBufferedBytes: 2 * 1024 * 1024,
    });
    // Either the socket is paused (Bun, the ws package: TCP backpressure stalls the
    // server) or the client drops the connection at maxBufferedBytes (other standard
    // WebSockets). Both within the bound, and never by taking the whole flood first.
    let outcome: PtyExit | undefined;
    let sentAtOutcome = -1;
    void connection.exit.then((exit) => {
      outcome = exit;
      sentAtOutcome = sent;
    });
    let last = -1;
    const end = Date.now() + BOUND_MS - 500;
    while (!outcome && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (sent === last) break; // stalled: the client stopped reading from TCP
      last = sent;
    }
    if (outcome) {
      const error = assertDisconnected(outcome, true);
      assert.match(error.message, /behind/);
      // Judged when the client gave up, not some time later: a standard WebSocket reads
      // (and sandgate discards) whatever a server sends until it answers the closing
      // handshake, which this one never does. What the client took before it dropped the
      // connection is the cap plus what was in flight (kernel buffers), far below the
      // flood: a runtime that read the flood into buffers of its own would fail here.
      assert.ok(sentAtOutcome < 64 * 1024 * 1024, `the client took ${sentAtOutcome} bytes`);
      // It gave the connection up: its close frame reached the server.
      for (let i = 0; i < 200 && closeFrameAt < 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(closeFrameAt >= 0, "the client's close frame never arrived");
      const { error: readError } = await drain(connection.output);
      assert.ok(readError instanceof PtyDisconnectedError, String(readError));
    } else {
      assert.ok(sent < FLOOD, `the client took all ${sent} bytes`);
      assert.equal(sent, last, "the flood neither stalled nor was dropped");
      // Reading resumes the socket.
      const reader = connection.output.getReader();
      assert.equal((await reader.read()).done, false);
      reader.releaseLock();
      await connection.close();
    }
  });
});

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
