// Conformance: Tensorlake's own TypeScript SDK (npm `tensorlake`, pinned in package.json), a
// client nobody here wrote, runs its PTY flows against the served emulator on 127.0.0.1:
// create, connect, input, resize, exit code, kill, re-attach, a bad PTY token, a bad API key.
//
// What the SDK sends, read from its published build (node_modules/tensorlake/dist/index.js,
// 0.5.89; source: tensorlakeai/tensorlake typescript/src/sandbox.ts, url.ts, client.ts and
// crates/rust-cloud-sdk-node/src/sandbox.rs at ef3cf682, the commit that released 0.5.89):
// - `Sandbox.connect({ sandboxId, apiUrl })` without a proxy URL looks the sandbox up first,
//   `GET {apiUrl}/v1/namespaces/{namespace}/sandboxes/{id}` (namespaced on a localhost API),
//   and routes through the `sandbox_url` of the answer;
// - to a proxy on localhost / 127.0.0.1 it sends `Host: {id}.local` and no
//   `X-Tensorlake-Sandbox-Id` (url.ts `resolveProxyTarget`);
// - REST goes through its native (Rust) client, the PTY WebSocket through `ws`, with the token in
//   `X-PTY-Token` and `?token=`; a close reason `exit:<n>` or a 0x03 frame is the exit code,
//   1001 `session terminated` rejects `wait()`.
//
// Every URL it is given, and every default it could fall back to (TENSORLAKE_API_URL,
// TENSORLAKE_SANDBOX_PROXY_URL), is a 127.0.0.1 one: it never resolves a name. The fallback
// proxy is a closed loopback port, so a request that did not follow the emulator's
// `sandbox_url` would fail the test instead of passing by accident.
//
// The SDK needs Node >= 22 (its `engines`, a native binding, `ws`): on Deno, Bun and Node 20 the
// file skips, and `npm test` runs it on Node 22 and 24 (deno.json test:node22 / test:node24).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Pty, Sandbox as TensorlakeSdkSandbox } from "tensorlake";
import {
  createEmulator,
  type Emulator,
  type EmulatorRequestLog,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { freePort } from "../helpers/loopback.ts";
import { emulatorEnvironment } from "../../src/cli/commands/emulator.ts";

const runtime = globalThis as {
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
};
const nodeMajor = Number(runtime.process?.versions?.node?.split(".")[0] ?? 0);
const skip = runtime.Deno !== undefined
  ? "Tensorlake's SDK runs on Node only (a native Node-API binding and ws); npm test runs it on Node 22/24"
  : runtime.Bun !== undefined
  ? "Tensorlake's SDK runs on Node only (a native Node-API binding and ws); npm test runs it on Node 22/24"
  : nodeMajor < 22
  ? `Tensorlake's SDK needs Node >= 22 (its engines field); this is Node ${nodeMajor}`
  : false;

const KEY = "conformance-key";
const SANDBOX = "sb-conformance";

type Sdk = typeof import("tensorlake");

/** Collects a PTY's output as text and waits, bounded, until it contains `text`. */
function collector() {
  let output = "";
  const waiters: (() => void)[] = [];
  return {
    onData: (bytes: Uint8Array) => {
      output += new TextDecoder().decode(bytes);
      for (const wake of waiters.splice(0)) wake();
    },
    get output() {
      return output;
    },
    async until(text: string, what = JSON.stringify(text)): Promise<void> {
      const deadline = Date.now() + 10_000;
      while (!output.includes(text)) {
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what} in ${JSON.stringify(output)}`);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

describe("Tensorlake's own SDK against the served emulator", { skip, timeout: 60_000 }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  let sdk: Sdk;
  const log: EmulatorRequestLog[] = [];
  const saved: Record<string, string | undefined> = {};
  const env = (name: string, value: string | undefined) => {
    if (!(name in saved)) saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };

  before(async () => {
    emulator = createEmulator({
      // KEY for the explicit calls; "emulator" is the key `sandgate emulator` prints.
      apiKeys: [KEY, "emulator"],
      sandboxes: [SANDBOX, "sb-direct"],
      rateLimit: false,
      onRequest: (entry) => log.push(entry),
    });
    server = await serve(emulator);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // Its defaults are read from the environment at import: exactly what `sandgate emulator`
    // prints, loopback URLs only.
    for (const [name, value] of Object.entries(emulatorEnvironment(server.url))) env(name, value);
    for (const name of ["TENSORLAKE_PAT", "TENSORLAKE_ORGANIZATION_ID", "TENSORLAKE_PROJECT_ID"]) {
      env(name, undefined);
    }
    env("INDEXIFY_NAMESPACE", undefined);
    sdk = await import("tensorlake");
    // Read at each call: a closed loopback port, so only the lookup's sandbox_url can work.
    env("TENSORLAKE_SANDBOX_PROXY_URL", `http://127.0.0.1:${await freePort()}`);
  });

  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server?.close();
  });

  /** The SDK's sandbox handle, through the lifecycle lookup and the `sandbox_url` it answers. */
  const connect = (apiKey = KEY): Promise<TensorlakeSdkSandbox> =>
    sdk.Sandbox.connect({ sandboxId: SANDBOX, apiUrl: server.url, apiKey });

  const ptyInfo = async (sandbox: string, sessionId: string) => {
    const response = await emulator.fetch(
      new Request(`http://${sandbox}.local/api/v1/pty/${sessionId}`, {
        headers: { authorization: `Bearer ${KEY}` },
      }),
    );
    return { status: response.status, body: await response.json() };
  };

  test("connect looks the sandbox up, create + attach, input, resize, exit code", async () => {
    const sandbox = await connect();
    const out = collector();
    let exitedWith: number | undefined;
    const pty: Pty = await sandbox.createPty({
      command: "bash",
      rows: 30,
      cols: 100,
      onData: out.onData,
      onExit: (code: number) => (exitedWith = code),
    });
    // The lookup went to the API URL, then everything to the sandbox_url it answered, which
    // named the sandbox by Host: {id}.local alone (no X-Tensorlake-Sandbox-Id was sent).
    assert.deepEqual(log[0], {
      method: "GET",
      path: `/v1/namespaces/default/sandboxes/${SANDBOX}`,
      status: 200,
    });
    assert.equal(emulator.live().sandboxes[SANDBOX]?.ptys, 1);
    assert.ok(log.some((e) => e.method === "POST" && e.path === "/api/v1/pty" && e.status === 201));
    assert.ok(log.some((e) => e.path === `/api/v1/pty/${pty.sessionId}/ws` && e.status === 101));

    await pty.sendInput("echo conformance-hello\n");
    await out.until("conformance-hello\r\n");
    const created = await ptyInfo(SANDBOX, pty.sessionId);
    assert.deepEqual([created.body.rows, created.body.cols], [30, 100]);

    // Upstream resizes over the socket: 0x01, cols then rows.
    await pty.resize(120, 40);
    await pty.sendInput("stty size\n");
    await out.until("40 120\r\n", "stty size after the resize");
    const resized = await ptyInfo(SANDBOX, pty.sessionId);
    assert.deepEqual([resized.body.rows, resized.body.cols], [40, 120]);

    await pty.sendInput("exit 7\n");
    assert.equal(await pty.wait(), 7);
    assert.equal(exitedWith, 7);
    // The emulator records the exit, as Tensorlake's GET /api/v1/pty/{id} reports it.
    const ended = await ptyInfo(SANDBOX, pty.sessionId);
    assert.equal(ended.body.is_alive, false);
    assert.equal(ended.body.exit_code, 7);
    assert.equal(typeof ended.body.ended_at, "number");
    await pty.kill();
    assert.equal((await ptyInfo(SANDBOX, pty.sessionId)).status, 404);
    sandbox.close();
  });

  test("kill ends an attached PTY: wait() rejects with session terminated, the session is gone", async () => {
    const sandbox = await connect();
    const pty = await sandbox.createPty({ command: "bash" });
    const waited = pty.wait().then(
      (code: number) => ({ code }),
      (error: Error) => ({ error }),
    );
    await pty.kill();
    const outcome = await waited;
    assert.ok("error" in outcome, `killed, not exited: ${JSON.stringify(outcome)}`);
    assert.match(outcome.error.message, /PTY session terminated/);
    assert.equal((await ptyInfo(SANDBOX, pty.sessionId)).status, 404);
    assert.equal(emulator.live().sandboxes[SANDBOX]?.ptys ?? 0, 0);
    sandbox.close();
  });

  test("re-attach: detach, connect again by id and token, the shell is still there", async () => {
    const sandbox = await connect();
    const session = await sandbox.createPtySession({ command: "bash" });
    assert.equal(typeof session.sessionId, "string");
    assert.equal(typeof session.token, "string");
    const first = collector();
    const one = await sandbox.connectPty(session.sessionId, session.token, {
      onData: first.onData,
    });
    await one.sendInput("echo first-attach\n");
    await first.until("first-attach\r\n");
    one.disconnect();

    const second = collector();
    const two = await sandbox.connectPty(session.sessionId, session.token, {
      onData: second.onData,
    });
    await two.sendInput("echo second-attach\n");
    await second.until("second-attach\r\n");
    assert.equal((await ptyInfo(SANDBOX, session.sessionId)).body.is_alive, true);
    await two.sendInput("exit 3\n");
    assert.equal(await two.wait(), 3);
    await two.kill();
    sandbox.close();
  });

  test("a bad PTY token is refused (403 INVALID_TOKEN) and attaches nothing", async () => {
    const sandbox = await connect();
    const session = await sandbox.createPtySession({ command: "bash" });
    await assert.rejects(sandbox.connectPty(session.sessionId, "not-the-token"));
    const refused = log.findLast((e) => e.path === `/api/v1/pty/${session.sessionId}/ws`);
    assert.equal(refused?.status, 403);
    // The session is untouched: the right token still attaches.
    const pty = await sandbox.connectPty(session.sessionId, session.token);
    await pty.sendInput("exit 0\n");
    assert.equal(await pty.wait(), 0);
    await pty.kill();
    sandbox.close();
  });

  test("a bad API key is refused (401) at the lookup and reaches no sandbox", async () => {
    const before = log.length;
    const sandbox = await connect("not-the-key");
    await assert.rejects(sandbox.createPtySession({ command: "bash" }));
    assert.deepEqual(log.slice(before).map((e) => e.status), [401]);
    sandbox.close();
  });

  test("the variables `sandgate emulator` prints are all it needs: no option, no workaround", async () => {
    process.env.TENSORLAKE_SANDBOX_PROXY_URL = server.url;
    try {
      const before = log.length;
      const sandbox = await sdk.Sandbox.connect({ sandboxId: "sb-direct" });
      const pty = await sandbox.createPty({ command: "bash" });
      assert.deepEqual(log[before], {
        method: "GET",
        path: "/v1/namespaces/default/sandboxes/sb-direct",
        status: 200,
      });
      assert.equal(log.slice(before).some((e) => e.status === 404), false);
      await pty.sendInput("exit 4\n");
      assert.equal(await pty.wait(), 4);
      await pty.kill();
      sandbox.close();
    } finally {
      process.env.TENSORLAKE_SANDBOX_PROXY_URL = `http://127.0.0.1:${await freePort()}`;
    }
  });

  test("an explicit proxy URL skips the lookup: same Host routing, on the same emulator", async () => {
    const before = log.length;
    const sandbox = await sdk.Sandbox.connect({
      sandboxId: "sb-direct",
      apiUrl: server.url,
      apiKey: KEY,
      proxyUrl: server.url,
    });
    const pty = await sandbox.createPty({ command: "bash" });
    assert.equal(emulator.live().sandboxes["sb-direct"]?.ptys, 1);
    assert.equal(log.slice(before).some((e) => e.path.startsWith("/v1/namespaces/")), false);
    await pty.sendInput("exit 5\n");
    assert.equal(await pty.wait(), 5);
    await pty.kill();
    sandbox.close();
  });
});
