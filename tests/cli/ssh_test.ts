// `sandgate ssh` against the emulator served over HTTP, with a fake `ssh` and `ssh-keygen`
// first on PATH: the argv the upstream CLI uses, ssh's exit code, the throwaway key deleted
// and the session closed afterwards, also after SIGINT / SIGTERM and when a step fails.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { cli, type FakeBin, fakeSshBin, skipCli, start, until } from "./_helpers.ts";

describe("sandgate ssh", { skip: skipCli }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  let bin: FakeBin;
  let env: Record<string, string>;
  before(async () => {
    emulator = createEmulator({ apiKeys: ["ssh-test-key"] });
    server = await serve(emulator);
    bin = fakeSshBin();
    env = { PRIME_API_KEY: "ssh-test-key", PRIME_API_BASE_URL: server.url, PATH: bin.path };
  });
  after(async () => {
    await server.close();
    bin.remove();
  });

  const sshArgv = () => readFileSync(bin.file("ssh.argv"), "utf8").trimEnd().split("\n");
  const keyOf = (argv: string[]) => argv[argv.indexOf("-i") + 1]!;

  test("runs ssh with the upstream flags and the user's args, and exits with ssh's code", async () => {
    const result = await cli([
      "ssh",
      "sb-ssh",
      "--ttl",
      "120",
      "--",
      "-L",
      "3000:localhost:3000",
      "uname -a",
    ], {
      ...env,
      FAKE_SSH_EXIT: "42",
    });
    assert.equal(result.code, 42, result.stderr);
    const argv = sshArgv();
    const [destination] = argv;
    assert.match(destination!, /^ssh-[a-z0-9]+@127\.0\.0\.1$/);
    const pairs = (flag: string) => argv.flatMap((a, i) => (a === flag ? [argv[i + 1]] : []));
    assert.deepEqual(pairs("-o").sort(), [
      "LogLevel=ERROR",
      "StrictHostKeyChecking=no",
      "UserKnownHostsFile=/dev/null",
    ]);
    assert.match(pairs("-p")[0]!, /^\d+$/);
    assert.deepEqual(argv.slice(-3), ["-L", "3000:localhost:3000", "uname -a"]);
    // The key existed while ssh ran, in a private directory, and is gone now.
    const key = keyOf(argv);
    assert.equal(readFileSync(bin.file("ssh.key"), "utf8").trim(), `present ${key}`);
    assert.match(key, /sandgate-ssh-[^/]+\/id_ed25519$/);
    assert.ok(!existsSync(key) && !existsSync(dirname(key)), "the temporary key is deleted");
    const keygen = readFileSync(bin.file("keygen.argv"), "utf8").trimEnd().split("\n");
    assert.deepEqual(keygen.slice(0, 5), ["-q", "-t", "ed25519", "-N", ""]);
    assert.equal(keygen.at(-1), key);
    assert.equal(emulator.live().sshSessions, 0, "the session is closed");
    assert.match(result.stderr, /session ssh-[a-z0-9]+ closed/);
  });

  test("exit code 0 passes through too", async () => {
    const result = await cli(["ssh", "sb-ssh"], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(emulator.live().sshSessions, 0);
  });

  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    test(`${signal} while ssh runs: ssh is stopped, the session closed, the key deleted, exit ${code}`, async () => {
      const marker = bin.file("ssh.argv");
      writeFileSync(marker, "");
      const running = start(["ssh", "sb-ssh"], { ...env, FAKE_SSH_SLEEP: "30" });
      await until(() => readFileSync(marker, "utf8") !== "", "the fake ssh to start");
      assert.equal(emulator.live().sshSessions, 1, "the session is open while ssh runs");
      const [session] = emulator.snapshot().sandboxes["sb-ssh"]!.sshSessions;
      assert.deepEqual(session!.authorized_keys, [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForSandgateCliTests sandgate",
      ], "the throwaway key's public half was authorized");
      running.kill(signal);
      const result = await running.done;
      assert.equal(result.code, code, result.stderr);
      const key = keyOf(sshArgv());
      assert.ok(!existsSync(dirname(key)), "the temporary key is deleted");
      assert.equal(emulator.live().sshSessions, 0, "the session is closed");
    });
  }

  test("--identity uses your key: no ssh-keygen, FILE.pub authorized, nothing deleted", async () => {
    const identity = join(bin.dir, "my_key");
    writeFileSync(identity, "MY PRIVATE KEY");
    writeFileSync(
      `${identity}.pub`,
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMyOwnKeyForTests me@host\n",
    );
    writeFileSync(bin.file("keygen.argv"), "not run");
    const result = await cli(["ssh", "sb-ssh", "--identity", identity], env);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(keyOf(sshArgv()), identity);
    assert.equal(readFileSync(bin.file("keygen.argv"), "utf8"), "not run");
    assert.ok(existsSync(identity) && existsSync(`${identity}.pub`));
    const before = emulator.stats.requests;
    const missing = await cli(["ssh", "sb-ssh", "--identity", join(bin.dir, "nope")], env);
    assert.equal(missing.code, 2, "a bad argument, as the others");
    assert.match(missing.stderr, /^error: UsageError: ssh: --identity .*nope: .*no such file/im);
    writeFileSync(join(bin.dir, "no_pub"), "PRIVATE");
    const noPub = await cli(["ssh", "sb-ssh", "--identity", join(bin.dir, "no_pub")], env);
    assert.equal(noPub.code, 2);
    assert.match(noPub.stderr, /cannot read the public key .*no_pub\.pub/);
    assert.equal(emulator.stats.requests, before, "nothing was sent");
  });

  test("ssh exiting 255 says what failed and how to see more; SANDGATE_SSH_LOGLEVEL is passed", async () => {
    const failed = await cli(["ssh", "sb-ssh"], { ...env, FAKE_SSH_EXIT: "255" });
    assert.equal(failed.code, 255);
    assert.match(
      failed.stderr,
      /ssh exited with 255: it could not connect to 127\.0\.0\.1:\d+ or log in .*rerun with SANDGATE_SSH_LOGLEVEL=VERBOSE \(or add -- -v\)/,
    );
    assert.equal(emulator.live().sshSessions, 0);
    const verbose = await cli(["ssh", "sb-ssh"], {
      ...env,
      FAKE_SSH_EXIT: "255",
      SANDGATE_SSH_LOGLEVEL: "verbose",
    });
    assert.equal(verbose.code, 255);
    assert.ok(sshArgv().includes("LogLevel=VERBOSE"));
    assert.ok(!sshArgv().includes("LogLevel=ERROR"));
    assert.doesNotMatch(verbose.stderr, /rerun with/);
    const bad = await cli(["ssh", "sb-ssh"], { ...env, SANDGATE_SSH_LOGLEVEL: "LOUD" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SANDGATE_SSH_LOGLEVEL must be one of QUIET, FATAL, ERROR/);
  });

  test("a failing ssh-keygen: one-line error, exit 1, nothing opened, no directory left", async () => {
    const before = emulator.stats.requests;
    const result = await cli(["ssh", "sb-ssh"], { ...env, FAKE_KEYGEN_EXIT: "3" });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: CliError: .*ssh-keygen exited with code 3: keygen failed on purpose$/m,
    );
    // Only the sandbox lookup that comes first, as in `prime sandbox ssh`: no session.
    assert.equal(emulator.stats.requests, before + 1, "no session was created");
    assert.equal(emulator.live().sshSessions, 0);
    const keygen = readFileSync(bin.file("keygen.argv"), "utf8").trimEnd().split("\n");
    assert.ok(!existsSync(dirname(keygen.at(-1)!)), "the temporary directory is removed");
  });

  test("an unknown sandbox: NotFoundError, exit 4, the key deleted", async () => {
    const strict = createEmulator({ apiKeys: ["ssh-test-key"], sandboxes: ["known"] });
    await using strictServer = await serve(strict);
    const result = await cli(["ssh", "unknown"], { ...env, PRIME_API_BASE_URL: strictServer.url });
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /^error: NotFoundError: .*Sandbox not found/m);
    const keygen = readFileSync(bin.file("keygen.argv"), "utf8").trimEnd().split("\n");
    assert.ok(!existsSync(dirname(keygen.at(-1)!)));
  });

  test("no ssh on PATH: says what to install, exit 1, nothing sent", async () => {
    const before = emulator.stats.requests;
    const result = await cli(["ssh", "sb-ssh"], { ...env, PATH: "/nonexistent" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: CliError: ssh not found on PATH: install OpenSSH/m);
    assert.equal(emulator.stats.requests, before);
  });
});
