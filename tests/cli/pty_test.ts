// `sandgate pty` driven through a real terminal (tmux) against the emulator served over HTTP:
// type a command and see its output, resize the window and see the shell report the new size,
// `exit 3` → exit code 3, the terminal restored (cooked mode again) and the PTY gone. Also the
// same without a terminal, through pipes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Tensorlake } from "../../mod.ts";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { startTcpProxy } from "../helpers/tcp_proxy.ts";
import { cli, cliArgv, skipCli, skipPty, start, until } from "./_helpers.ts";
import { findTmux, tmuxSkipReason } from "./_tmux.ts";

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

describe("sandgate pty", { skip: skipCli || skipPty }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  const created: { env?: Record<string, string>; rows?: number; cols?: number }[] = [];
  before(async () => {
    emulator = createEmulator({ apiKeys: ["pty-test-key"] });
    // Records what the CLI asks for when it creates a PTY, then lets the emulator answer.
    const recording = {
      async fetch(request: Request) {
        if (request.method === "POST" && new URL(request.url).pathname === "/api/v1/pty") {
          created.push(await request.clone().json());
        }
        return await emulator.fetch(request);
      },
      acceptWebSocket: (request: Request) => emulator.acceptWebSocket(request),
    };
    server = await serve(recording);
  });
  after(() => server.close());

  test("through pipes: input in, output out, the remote exit code out", async () => {
    const running = start(["pty", server.url, "--env", "GREETING=hi"], {
      TENSORLAKE_API_KEY: "pty-test-key",
    });
    running.write("echo piped-hello\nstty size\nexit 5\n");
    running.end();
    const result = await running.done;
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stdout, /^piped-hello\r$/m);
    assert.match(result.stdout, /^24 80\r$/m, "80 × 24 off a terminal");
    assert.equal(created.at(-1)?.env?.GREETING, "hi");
    assert.equal(emulator.live().ptys, 0, "the PTY is killed when sandgate pty ends");
  });

  test("a remote exit code ≥ 256 or negative never becomes a local 0 (256 → 1, 511 → 255)", async () => {
    const cases = [[256, 1], [257, 1], [512, 1], [511, 255], [-1, 1], [-256, 1], [255, 255]];
    const results = await Promise.all(cases.map(async ([remote]) => {
      const running = start(["pty", server.url], { TENSORLAKE_API_KEY: "pty-test-key" });
      running.write(`exit ${remote}\n`);
      running.end();
      return (await running.done).code;
    }));
    assert.deepEqual(results, cases.map(([, local]) => local));
  });

  test("piped stdin that ends without exit: EOT ends the shell with the last status", async () => {
    const ok = start(["pty", server.url], { TENSORLAKE_API_KEY: "pty-test-key" });
    ok.write("echo hi\n");
    ok.end();
    const done = await ok.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^hi\r$/m);
    const failed = start(["pty", server.url], { TENSORLAKE_API_KEY: "pty-test-key" });
    failed.write("no-such-command\n");
    failed.end();
    const status = await failed.done;
    assert.equal(status.code, 127, "the last command's status, as a POSIX shell");
    assert.equal(emulator.live().ptys, 0);
  });

  test("a dropped connection is re-attached: told on stderr, input after the drop arrives once", async () => {
    await using proxy = await startTcpProxy(server.port);
    const running = start(["pty", proxy.url], { TENSORLAKE_API_KEY: "pty-test-key" });
    running.write("echo before-drop\n");
    await until(() => /^before-drop\r$/m.test(running.stdout()), "output before the drop");
    proxy.down();
    proxy.cut();
    await until(() => /reconnecting/.test(running.stderr()), "the reconnecting notice");
    running.write("echo after-drop\n"); // queued while disconnected
    proxy.up();
    await until(() => /^after-drop\r$/m.test(running.stdout()), "output after the drop");
    running.write("exit 6\n");
    const result = await running.done;
    assert.equal(result.code, 6, result.stderr);
    assert.match(result.stderr, /connection lost \(.*\); reconnecting…/);
    assert.match(result.stderr, /reconnected after/);
    assert.equal(result.stdout.match(/^after-drop\r$/gm)?.length, 1, "sent once");
    assert.equal(emulator.live().ptys, 0, "the PTY is killed when sandgate pty ends");
  });

  test("--no-reconnect ends the session at the first drop, with a failure code", async () => {
    await using proxy = await startTcpProxy(server.port);
    const running = start(["pty", proxy.url, "--no-reconnect"], {
      TENSORLAKE_API_KEY: "pty-test-key",
    });
    running.write("echo before-drop\n");
    await until(() => /^before-drop\r$/m.test(running.stdout()), "output before the drop");
    proxy.cut();
    const result = await running.done;
    assert.notEqual(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /reconnecting/);
  });

  test("pty attach re-attaches with the token and leaves the PTY running when it detaches", async () => {
    const sandbox = new Tensorlake({ apiKey: "pty-test-key" }).sandbox(server.url);
    const pty = await sandbox.createPty({ command: "bash" });
    try {
      const env = { TENSORLAKE_API_KEY: "pty-test-key", SANDGATE_PTY_TOKEN: pty.token };
      const attached = start(["pty", "attach", server.url, pty.sessionId], env);
      attached.write("echo attached-hello\n");
      await until(() => /^attached-hello\r$/m.test(attached.stdout()), "the echoed output");
      attached.kill("SIGINT");
      const detached = await attached.done;
      assert.equal(detached.code, 130, detached.stderr);
      assert.equal(emulator.live().ptys, 1, "detaching does not kill the PTY");
      assert.ok(!detached.stderr.includes(pty.token), "the token is never printed");

      const again = start(["pty", "attach", server.url, pty.sessionId], env);
      again.write("exit 4\n");
      const exited = await again.done;
      assert.equal(exited.code, 4, exited.stderr);
      const missing = await start(["pty", "attach", server.url, pty.sessionId], {
        TENSORLAKE_API_KEY: "pty-test-key",
      }).done;
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no token: set SANDGATE_PTY_TOKEN or pass --token-file FILE/);
    } finally {
      await pty.kill();
    }
  });

  test("pty attach never takes the token from argv: --token is refused, --token-file FILE and - work", async () => {
    const sandbox = new Tensorlake({ apiKey: "pty-test-key" }).sandbox(server.url);
    const pty = await sandbox.createPty({ command: "bash" });
    const dir = mkdtempSync(join(tmpdir(), "sandgate-token-"));
    try {
      const env = { TENSORLAKE_API_KEY: "pty-test-key" };
      const before = emulator.stats.requests;
      const refused = await start(
        ["pty", "attach", server.url, pty.sessionId, "--token", pty.token],
        env,
      ).done;
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /--token is refused: .*visible to every user .*\(ps/);
      assert.match(refused.stderr, /SANDGATE_PTY_TOKEN.*--token-file FILE/);
      assert.ok(!refused.stderr.includes(pty.token), "the token is not echoed back");
      assert.equal(emulator.stats.requests, before, "nothing was sent");
      assert.doesNotMatch((await cli(["pty", "--help"])).stdout, /--token /, "not in the help");

      const file = join(dir, "token");
      writeFileSync(file, `${pty.token}\n`);
      const fromFile = start(
        ["pty", "attach", server.url, pty.sessionId, "--token-file", file],
        env,
      );
      fromFile.write("echo from-file\n");
      await until(() => /^from-file\r$/m.test(fromFile.stdout()), "the echo");
      fromFile.kill("SIGINT");
      assert.equal((await fromFile.done).code, 130);

      // The first line of stdin is the token; the rest is the PTY's input.
      const fromStdin = start(
        ["pty", "attach", server.url, pty.sessionId, "--token-file", "-"],
        env,
      );
      fromStdin.write(`${pty.token}\necho from-stdin\nexit 9\n`);
      fromStdin.end();
      const result = await fromStdin.done;
      assert.equal(result.code, 9, result.stderr);
      assert.match(result.stdout, /^from-stdin\r$/m);
      assert.ok(!result.stdout.includes(pty.token) && !result.stderr.includes(pty.token));

      const empty = join(dir, "empty");
      writeFileSync(empty, "\n");
      const none = await cli(["pty", "attach", server.url, "x", "--token-file", empty], env);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /the token in .*empty is empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await pty.kill();
    }
  });

  test("in tmux: type, see output, resize, exit 3; terminal restored", {
    skip: tmuxSkipReason(),
  }, async () => {
    const tmux = findTmux()!;
    const dir = mkdtempSync(join(tmpdir(), "sandgate-pty-tmux-"));
    const socket = `sandgate-test-${process.pid}`;
    const t = (...args: string[]) =>
      execFileSync(tmux, ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
    const screen = () => t("capture-pane", "-p", "-t", "cli");
    const codeFile = join(dir, "code");
    const sttyFile = join(dir, "stty");
    const argv = [...cliArgv()!, "pty", server.url].map(shellQuote).join(" ");
    const script = `env TENSORLAKE_API_KEY=pty-test-key NO_COLOR=1 ${argv}; ` +
      `echo $? > ${shellQuote(codeFile)}; stty -a > ${shellQuote(sttyFile)}; sleep 30`;
    try {
      t("new-session", "-d", "-s", "cli", "-x", "100", "-y", "30", "sh", "-c", script);
      await until(() => /^\$/m.test(screen()), "the remote prompt", 600).catch((error) => {
        throw new Error(`${error.message}; screen:\n${screen()}`);
      });
      const request = created.at(-1)!;
      assert.deepEqual([request.cols, request.rows], [100, 30], "created at the terminal's size");
      assert.match(request.env?.TERM ?? "", /^(screen|tmux)/, "TERM passed through");

      t("send-keys", "-t", "cli", "echo hello-from-tmux", "Enter");
      await until(() => /^hello-from-tmux\s*$/m.test(screen()), "the echoed output");

      t("resize-window", "-t", "cli", "-x", "120", "-y", "40");
      await until(
        () => emulator.snapshot().sandboxes.default?.ptys[0]?.cols === 120,
        "the resize to reach the PTY",
      );
      t("send-keys", "-t", "cli", "stty size", "Enter");
      await until(() => /^40 120\s*$/m.test(screen()), "the shell to report 40 120");

      t("send-keys", "-t", "cli", "exit 3", "Enter");
      await until(() => existsSync(sttyFile) && readFileSync(sttyFile, "utf8") !== "", "exit");
      assert.equal(readFileSync(codeFile, "utf8").trim(), "3");
      const stty = readFileSync(sttyFile, "utf8");
      assert.match(stty, /(^|\s)icanon(\s|$)/, "canonical mode restored");
      assert.match(stty, /(^|\s)echo(\s|$)/, "echo restored");
      assert.equal(emulator.live().ptys, 0);
    } finally {
      try {
        t("kill-server");
      } catch {
        // Already gone.
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
