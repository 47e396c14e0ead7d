// SIGHUP and SIGQUIT get the cleanup SIGINT and SIGTERM get (issue 27 item 2), with exit codes
// 128 + the signal's number: `sandgate ssh` closes its session and deletes the throwaway key at
// every stage (ssh-keygen running, the key being authorized, the readiness probe waiting, ssh
// running); `sandgate pty` kills its PTY (or only detaches, for `pty attach`) and restores the
// terminal from raw mode — checked under tmux, also when the terminal itself goes away.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { Tensorlake } from "../../mod.ts";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { freePort } from "../helpers/loopback.ts";
import { cliArgv, type FakeBin, fakeSshBin, skipCli, skipPty, start, until } from "./_helpers.ts";
import { hostileProxy } from "./_hostile.ts";
import { findTmux, tmuxSkipReason } from "./_tmux.ts";

const CODES = { SIGHUP: 129, SIGINT: 130, SIGQUIT: 131, SIGTERM: 143 } as const;
type Stop = keyof typeof CODES;

describe("sandgate ssh on SIGHUP / SIGQUIT", { skip: skipCli }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  let stalled: ServedEmulator;
  let unready: ServedEmulator;
  let bin: FakeBin;
  let env: Record<string, string>;
  let releaseAuthorize: () => void = () => {};
  const authorizeHeld = new Promise<Response>((resolve) => {
    releaseAuthorize = () => resolve(Response.json({ detail: "too late" }, { status: 503 }));
  });
  let authorizeSeen = false;
  before(async () => {
    emulator = createEmulator({ apiKeys: ["sig-key"] });
    server = await serve(emulator);
    // Authorize never answers (until the test ends): the session exists, the key is in $TMPDIR.
    stalled = await hostileProxy(
      server.url,
      (key, value) => key === "gateway_url" ? stalledUrl() : value,
      (request) => {
        if (!new URL(request.url).pathname.endsWith("/authorize")) return undefined;
        authorizeSeen = true;
        return authorizeHeld;
      },
    );
    // The session's endpoint never accepts: the readiness probe keeps waiting.
    const closed = await freePort();
    unready = await hostileProxy(server.url, (key, value) => {
      if (key === "port" && typeof value === "number") return closed;
      if (key === "external_endpoint") return `127.0.0.1:${closed}`;
      return value;
    });
    bin = fakeSshBin();
    env = { PRIME_API_KEY: "sig-key", PRIME_API_BASE_URL: server.url, PATH: bin.path };
  });
  const stalledUrl = () => stalled.url;
  after(async () => {
    releaseAuthorize();
    await stalled.close();
    await unready.close();
    await server.close();
    bin.remove();
  });

  const keyDir = () =>
    dirname(readFileSync(bin.file("keygen.argv"), "utf8").trimEnd().split("\n").at(-1)!);

  async function stopAndCheck(
    running: ReturnType<typeof start>,
    signal: Stop,
    stage: string,
  ): Promise<void> {
    const dir = keyDir();
    assert.ok(existsSync(dir), `${stage}: the throwaway key exists before the signal`);
    running.kill(signal);
    const result = await running.done;
    assert.equal(result.code, CODES[signal], `${stage}: ${result.stderr}`);
    assert.ok(!existsSync(dir), `${stage}: the throwaway key directory is removed`);
    assert.equal(emulator.live().sshSessions, 0, `${stage}: no session left open`);
  }

  for (const signal of ["SIGHUP", "SIGQUIT"] as const) {
    test(`${signal} while ssh runs: ssh gets it, session closed, key deleted, exit ${CODES[signal]}`, async () => {
      writeFileSync(bin.file("ssh.argv"), "");
      const running = start(["ssh", "sb-sig"], { ...env, FAKE_SSH_SLEEP: "30" });
      await until(() => readFileSync(bin.file("ssh.argv"), "utf8") !== "", "the fake ssh");
      assert.equal(emulator.live().sshSessions, 1);
      await stopAndCheck(running, signal, "ssh running");
    });
  }

  test("SIGHUP while ssh-keygen runs: keygen stopped, no session, the directory removed", async () => {
    writeFileSync(bin.file("keygen.argv"), "");
    const before = emulator.stats.requests;
    const running = start(["ssh", "sb-sig"], { ...env, FAKE_KEYGEN_SLEEP: "30" });
    await until(() => readFileSync(bin.file("keygen.argv"), "utf8") !== "", "ssh-keygen");
    await stopAndCheck(running, "SIGHUP", "keygen running");
    // Only the sandbox lookup that comes first (as in `prime sandbox ssh`): no session.
    assert.equal(emulator.stats.requests, before + 1, "no session was created");
  });

  test("SIGHUP while the key is being authorized: the session is closed", async () => {
    writeFileSync(bin.file("keygen.argv"), "");
    const running = start(["ssh", "sb-sig"], { ...env, PRIME_API_BASE_URL: stalled.url });
    await until(() => authorizeSeen, "the authorize request");
    assert.equal(emulator.live().sshSessions, 1);
    await stopAndCheck(running, "SIGHUP", "authorizing");
  });

  test("SIGQUIT while the readiness probe waits: the session is closed", async () => {
    writeFileSync(bin.file("keygen.argv"), "");
    writeFileSync(bin.file("ssh.argv"), "");
    const running = start(["ssh", "sb-sig", "--ready-timeout", "60"], {
      ...env,
      PRIME_API_BASE_URL: unready.url,
    });
    // The key is authorized, ssh has not started: the probe is what runs.
    await until(
      () => emulator.snapshot().sandboxes["sb-sig"]?.sshSessions[0]?.authorized_keys.length === 1,
      "the key to be authorized",
    );
    await until(() => /127\.0\.0\.1:\d+/.test(running.stderr()), "the probe's progress", 600);
    assert.equal(readFileSync(bin.file("ssh.argv"), "utf8"), "", "ssh has not started");
    assert.equal(emulator.live().sshSessions, 1);
    await stopAndCheck(running, "SIGQUIT", "probing");
  });
});

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

describe("sandgate pty on SIGHUP / SIGQUIT", { skip: skipCli || skipPty }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  before(async () => {
    emulator = createEmulator({ apiKeys: ["sig-pty-key"] });
    server = await serve(emulator);
  });
  after(() => server.close());

  for (const signal of ["SIGHUP", "SIGQUIT"] as const) {
    test(`through pipes, ${signal}: the PTY is killed, exit ${CODES[signal]}`, async () => {
      const running = start(["pty", server.url], { TENSORLAKE_API_KEY: "sig-pty-key" });
      running.write("echo ready\n");
      await until(() => /^ready\r$/m.test(running.stdout()), "the echo");
      assert.equal(emulator.live().ptys, 1);
      running.kill(signal);
      const result = await running.done;
      assert.equal(result.code, CODES[signal], result.stderr);
      assert.equal(emulator.live().ptys, 0, "the PTY is killed");
    });
  }

  test("pty attach, SIGHUP: detached, the PTY left running, exit 129", async () => {
    const sandbox = new Tensorlake({ apiKey: "sig-pty-key" }).sandbox(server.url);
    const pty = await sandbox.createPty({ command: "bash" });
    try {
      const running = start(["pty", "attach", server.url, pty.sessionId], {
        TENSORLAKE_API_KEY: "sig-pty-key",
        SANDGATE_PTY_TOKEN: pty.token,
      });
      running.write("echo attached\n");
      await until(() => /^attached\r$/m.test(running.stdout()), "the echo");
      running.kill("SIGHUP");
      const result = await running.done;
      assert.equal(result.code, 129, result.stderr);
      assert.equal(emulator.live().ptys, 1, "re-attached PTYs are only detached from");
    } finally {
      await pty.kill();
    }
  });

  /** Runs the CLI in a tmux window; returns helpers to drive it. */
  function inTmux(args: string[]) {
    const tmux = findTmux()!;
    const dir = mkdtempSync(join(tmpdir(), "sandgate-sig-tmux-"));
    const socket = `sandgate-sig-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const t = (...a: string[]) =>
      execFileSync(tmux, ["-L", socket, "-f", "/dev/null", ...a], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    const files = { pid: join(dir, "pid"), code: join(dir, "code"), stty: join(dir, "stty") };
    const argv = [...cliArgv()!, ...args].map(shellQuote).join(" ");
    // The inner shell writes its pid and becomes the CLI (exec), so that pid is the CLI's.
    const inner = `echo $$ > ${shellQuote(files.pid)}; exec env TENSORLAKE_API_KEY=sig-pty-key ` +
      `NO_COLOR=1 ${argv}`;
    const script = `sh -c ${shellQuote(inner)}; echo $? > ${shellQuote(files.code)}; ` +
      `stty -a > ${shellQuote(files.stty)}; sleep 60`;
    t("new-session", "-d", "-s", "cli", "-x", "100", "-y", "30", "sh", "-c", script);
    const screen = () => {
      try {
        return t("capture-pane", "-p", "-t", "cli");
      } catch {
        return "";
      }
    };
    return {
      t,
      screen,
      files,
      read: (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : ""),
      close() {
        try {
          t("kill-server");
        } catch {
          // Already gone.
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  for (const signal of ["SIGHUP", "SIGQUIT"] as const) {
    test(`in tmux, ${signal}: raw mode restored, the PTY killed, exit ${CODES[signal]}`, {
      skip: tmuxSkipReason(),
    }, async () => {
      const run = inTmux(["pty", server.url]);
      try {
        await until(() => /^\$/m.test(run.screen()), "the remote prompt", 600);
        assert.equal(emulator.live().ptys, 1);
        const pid = Number(run.read(run.files.pid).trim());
        assert.ok(pid > 0);
        process.kill(pid, signal);
        await until(() => run.read(run.files.stty) !== "", "the CLI to end");
        assert.equal(run.read(run.files.code).trim(), String(CODES[signal]));
        const stty = run.read(run.files.stty);
        assert.match(stty, /(^|\s)icanon(\s|$)/, "canonical mode restored");
        assert.match(stty, /(^|\s)echo(\s|$)/, "echo restored");
        assert.equal(emulator.live().ptys, 0, "the PTY is killed");
      } finally {
        run.close();
      }
    });
  }

  test("in tmux, the terminal goes away (SIGHUP to the session): the PTY is still killed", {
    skip: tmuxSkipReason(),
  }, async () => {
    const run = inTmux(["pty", server.url]);
    try {
      await until(() => /^\$/m.test(run.screen()), "the remote prompt", 600);
      assert.equal(emulator.live().ptys, 1);
      const pid = Number(run.read(run.files.pid).trim());
      run.t("kill-server");
      await until(() => emulator.live().ptys === 0, "the PTY to be killed");
      await until(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, "the CLI to exit");
    } finally {
      run.close();
    }
  });
});
