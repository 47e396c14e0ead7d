// `sandgate pty` on the machine's Node, whatever runtime runs the tests: Node 20.10+ has a
// WebSocket only behind --experimental-websocket, so the bin runs itself again with it (signals
// passed on, the child's exit code its own); an older Node gets a message saying what to use —
// never the SDK's advice about a `webSocket` option a CLI user cannot pass.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { needsWebSocketFlag, requireWebSocket } from "../../src/cli/node_websocket.ts";
import { CliError } from "../../src/cli/errors.ts";
import { ROOT, start, until } from "./_helpers.ts";

/** The machine's `node` (the tests' own when they run on Node). */
function machineNode(): string | undefined {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (!g.Deno && !g.Bun) return process.execPath;
  try {
    execFileSync("node", ["--version"], { encoding: "utf8" });
    return "node";
  } catch {
    return undefined;
  }
}

test("which runtimes run again with --experimental-websocket, and what an old Node is told", () => {
  const node = (version: string, execArgv: string[] = []) => ({
    globals: {},
    node: version,
    execArgv,
  });
  assert.equal(needsWebSocketFlag(node("20.20.2")), true);
  assert.equal(needsWebSocketFlag(node("20.10.0")), true);
  assert.equal(needsWebSocketFlag(node("20.9.0")), false, "no such flag before 20.10");
  assert.equal(needsWebSocketFlag(node("20.20.2", ["--experimental-websocket"])), false);
  assert.equal(needsWebSocketFlag({ ...node("22.1.0"), globals: { WebSocket() {} } }), false);
  assert.equal(needsWebSocketFlag({ ...node("1.2.0"), globals: { Deno: {} } }), false);
  assert.equal(needsWebSocketFlag({ ...node("1.1.0"), globals: { Bun: {} } }), false);
  assert.throws(
    () => requireWebSocket(node("20.9.0")),
    (error: unknown) =>
      error instanceof CliError &&
      /needs a WebSocket, .*\(Node 20\.9\.0\): use Node 22 or later, Node 20\.10 or later/.test(
        error.message,
      ) && !/webSocket. (client )?option/.test(error.message),
  );
});

const node = machineNode();

describe("sandgate pty on the machine's node", {
  skip: node ? false : "no node on PATH",
}, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  let dir: string;
  let bundle: string;
  before(async () => {
    emulator = createEmulator({ apiKeys: ["node-key"] });
    server = await serve(emulator);
    dir = mkdtempSync(join(tmpdir(), "sandgate-node-cli-"));
    bundle = join(dir, "sandgate.mjs");
    // The bin as the npm build makes it (scripts/build_npm.ts), dependencies bundled in.
    execFileSync(join(ROOT, "node_modules/.bin/esbuild"), [
      join(ROOT, "src/cli/main.ts"),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=es2022",
      `--outfile=${bundle}`,
      "--log-level=warning",
    ]);
    assert.ok(existsSync(bundle));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("runs, with the remote exit code and no warning on stderr", async () => {
    const running = start(["pty", server.url], { TENSORLAKE_API_KEY: "node-key" }, [
      node!,
      bundle,
    ]);
    running.write("echo on-node\nexit 3\n");
    running.end();
    const result = await running.done;
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /^on-node\r$/m);
    assert.doesNotMatch(result.stderr, /Warning|webSocket/);
    assert.equal(emulator.live().ptys, 0);
  });

  test("SIGHUP reaches the re-run CLI: the PTY is killed, exit 129", async () => {
    const running = start(["pty", server.url], { TENSORLAKE_API_KEY: "node-key" }, [
      node!,
      bundle,
    ]);
    running.write("echo ready\n");
    await until(() => /^ready\r$/m.test(running.stdout()), "the echo");
    running.kill("SIGHUP");
    const result = await running.done;
    assert.equal(result.code, 129, result.stderr);
    assert.equal(emulator.live().ptys, 0);
  });
});
