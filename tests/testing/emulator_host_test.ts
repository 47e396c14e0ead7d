// A request whose Host header is not a valid host[:port] (RFC 9110 §7.2) is answered 400
// (RFC 9112 §3.2) in the error shape of the provider it addresses, never a 500 or a request
// routed somewhere else: Tensorlake's { error } for its paths, Prime Intellect's { detail }.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createEmulator, serve } from "../../src/testing/mod.ts";

/** Sends one raw HTTP/1.1 request and reads the answer until the server closes. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => (text += chunk));
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
    socket.write(head);
  });
}

test("a bad Host is a 400 in the addressed provider's shape, for requests and WebSocket upgrades", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const cases: [string, string, RegExp][] = [
    ["GET /api/v1/pty HTTP/1.1", "bad host", /^\{"error":"invalid Host header"/],
    [
      "GET /api/v1/sandbox/sb/expose HTTP/1.1",
      "evil.example/x?",
      /^\{"detail":"invalid Host header"\}$/,
    ],
    ["GET /api/v1/pty HTTP/1.1", "a@b", /^\{"error":/],
  ];
  for (const [line, host, body] of cases) {
    const answer = await raw(
      server.port,
      `${line}\r\nHost: ${host}\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n`,
    );
    assert.match(answer, /^HTTP\/1\.1 400 /, `${line} with Host ${host}`);
    assert.match(answer.split("\r\n\r\n")[1] ?? "", body, host);
  }
  const upgrade = await raw(
    server.port,
    "GET /api/v1/pty/x/ws HTTP/1.1\r\nHost: bad host\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  assert.match(upgrade, /^HTTP\/1\.1 400 /);
  assert.match(upgrade, /\{"error":"invalid Host header"/);
  // Nothing reached a sandbox, and a good Host still works.
  assert.deepEqual(emulator.live().sandboxes, {});
  const ok = await raw(
    server.port,
    "GET /api/v1/pty HTTP/1.1\r\nHost: sb-1.local\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n",
  );
  assert.match(ok, /^HTTP\/1\.1 200 /);
});
