/**
 * PTY attach against WebSocket servers of our own on 127.0.0.1 that send hostile frames
 * (`_hostile_ws_server.ts`: raw node:net, just enough RFC 6455): garbage frames, a reserved
 * opcode, a length field of 2⁶³−1, an oversized frame and a flood for a reader that does not
 * read. Each ends in a typed outcome, with bounded buffering and no hang. Hostile connections
 * (closes, resets, upgrades) and the token: hostile_attach_test.ts.
 *
 * The runtime's own WebSocket is the client (Deno, Bun, Node ≥ 22); Node 20
 * has none unflagged, so the file is skipped there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PtyDisconnectedError, type PtyExit } from "../../mod.ts";

import {
  assertDisconnected,
  BOUND_MS,
  dataFrame,
  drain,
  exitFrame,
  exitOf,
  ready,
  SESSION,
  skip,
  TOKEN,
  withServer,
} from "./_hostile_attach.ts";

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
