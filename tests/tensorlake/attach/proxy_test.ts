// A proxy URL used as given names the sandbox in X-Tensorlake-Sandbox-Id on the
// PTY WebSocket too, as upstream does (tensorlakeai/tensorlake@cab3838
// typescript/src/sandbox.ts: wsHeaders["X-Tensorlake-Sandbox-Id"];
// crates/cli/src/commands/sbx/ssh.rs build_ws_headers), and the emulator routes
// the upgrade by that header like its REST routes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Tensorlake } from "../../../mod.ts";
import { createEmulator, serve } from "../../../src/testing/mod.ts";
import { echoResizeExit } from "./_terminal.ts";

const skip = typeof globalThis.WebSocket !== "function" &&
  "no global WebSocket on this runtime (Node 20): attach needs Node ≥ 22 or the webSocket option";

test("served: proxyUrl + a named sandbox: openPty works against serve()", { skip }, async () => {
  const emulator = createEmulator({ apiKeys: ["tl_apiKey_test"] });
  const seen: (string | null)[] = [];
  const server = await serve({
    fetch: emulator.fetch,
    acceptWebSocket(request) {
      seen.push(request.headers.get("x-tensorlake-sandbox-id"));
      return emulator.acceptWebSocket(request);
    },
  });
  try {
    const sandbox = new Tensorlake({ apiKey: "tl_apiKey_test", proxyUrl: server.url })
      .sandbox("my-sandbox");
    await echoResizeExit(sandbox);
    await using connection = await sandbox.openPty({ command: "bash" });
    await connection.input.getWriter().write("exit 4\n");
    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 4 });
    assert.deepEqual(seen, ["my-sandbox", "my-sandbox"]);
    // The PTYs live in the named sandbox, not the emulator's default one.
    assert.deepEqual(
      await new Tensorlake({ apiKey: "tl_apiKey_test", proxyUrl: server.url })
        .sandbox("other").listPtys(),
      [],
    );
  } finally {
    await server.close();
  }
});

test("in-process: proxyUrl + a named sandbox attaches through emulator.webSocket", async () => {
  const emulator = createEmulator();
  const headers: Record<string, string>[] = [];
  const sandbox = new Tensorlake({
    apiKey: "tl_apiKey_test",
    proxyUrl: "http://127.0.0.1:9443",
    fetch: emulator.fetch,
    webSocket: (url, init) => {
      headers.push(init.headers);
      return emulator.webSocket(url, init);
    },
  }).sandbox("My-Sb");
  await echoResizeExit(sandbox);
  assert.equal(headers[0]?.["X-Tensorlake-Sandbox-Id"], "my-sb");
});

test("in-process: the emulator routes a PTY upgrade by X-Tensorlake-Sandbox-Id", async () => {
  const emulator = createEmulator();
  const pty = await new Tensorlake({
    apiKey: "k",
    fetch: emulator.fetch,
    proxyUrl: "http://127.0.0.1:1",
  })
    .sandbox("named").createPty({ command: "bash" });
  const url = `http://127.0.0.1:1/api/v1/pty/${pty.sessionId}/ws?token=${pty.token}`;
  const routed = emulator.acceptWebSocket(
    new Request(url, { headers: { "x-tensorlake-sandbox-id": "named" } }),
  );
  assert.equal(typeof routed, "function", "the named sandbox's session is accepted");
  const unrouted = emulator.acceptWebSocket(new Request(url));
  assert.ok(unrouted instanceof Response);
  assert.equal(unrouted.status, 404);
  await pty.kill();
});
