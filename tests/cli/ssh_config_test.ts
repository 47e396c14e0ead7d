// `sandgate ssh-config` with the real OpenSSH client: `ssh -F <written config> sandgate-sb true`
// and `scp` go through the ProxyCommand (`sandgate ssh-proxy`) into an emulated sandbox whose
// SSH endpoint relays to a real sshd this test starts on 127.0.0.1 (the emulator stands in for
// Prime's API and SSH gateway: session, key authorization, the session's TCP endpoint; the sshd
// stands in for the sandbox's SSH sidecar). Each connection opens a session and leaves none open.
// Plus the config text, and --write's edits of ~/.ssh/config (idempotent, never clobbering).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { hostBlock } from "../../src/cli/commands/ssh_config.ts";
import { opensshSkipReason, type Sshd, startSshd } from "../helpers/sshd.ts";
import { cli, skipCli, until } from "./_helpers.ts";

const skip = skipCli || opensshSkipReason();

/** Runs a program to the end with exactly `env` (PATH added); bounded. */
function run(program: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(program, args, {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("sandgate ssh-config with the real ssh and sshd", { skip }, () => {
  let sshd: Sshd;
  let emulator: Emulator;
  let server: ServedEmulator;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    sshd = await startSshd();
    emulator = createEmulator({
      apiKeys: ["ssh-config-key"],
      services: { 22: `127.0.0.1:${sshd.port}` },
    });
    server = await serve(emulator);
    home = mkdtempSync(join(tmpdir(), "sandgate-home-"));
    env = { HOME: home, PRIME_API_KEY: "ssh-config-key" };
  });
  after(async () => {
    await server?.close();
    await sshd?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test("--write, then `ssh sandgate-sb true` exits 0 and leaves no session; scp copies a file", async () => {
    const written = await cli([
      "ssh-config",
      "sb",
      "--identity",
      sshd.identityFile,
      "--user",
      sshd.user,
      "--base-url",
      server.url,
      "--write",
    ], env);
    assert.equal(written.code, 0, written.stderr);
    const file = join(home, ".ssh", "sandgate", "sb.conf");
    assert.equal(written.stdout, `${file}\n`);
    const config = join(home, ".ssh", "config");

    const before = sshd.accepted();
    const login = await run(sshd.ssh, ["-F", config, "sandgate-sb", "true"], env);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(sshd.accepted(), before + 1, "sshd itself accepted the key");
    await until(() => emulator.live().sshSessions === 0, "the session to be closed");
    const [closed] = emulator.snapshot().sandboxes["sb"]?.sshSessions ?? [];
    assert.equal(closed, undefined, "no session left open");

    const output = await run(sshd.ssh, ["-F", config, "sandgate-sb", "echo", "from-inside"], env);
    assert.equal(output.code, 0, output.stderr);
    assert.equal(output.stdout, "from-inside\n", "the remote command's output came back");

    const source = join(home, "hello.txt");
    writeFileSync(source, "hello through the proxy\n".repeat(2000));
    const target = join(sshd.dir, "copied.txt");
    const copy = await run(sshd.scp, ["-F", config, source, `sandgate-sb:${target}`], env);
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal(readFileSync(target, "utf8"), readFileSync(source, "utf8"));
    await until(() => emulator.live().sshSessions === 0, "the scp session to be closed");
    assert.equal(emulator.live().exposures, 0, "no exposure left either");
  });

  test("the printed block: Host, User, IdentityFile, and a quoted ProxyCommand with no secret", async () => {
    const printed = await cli([
      "ssh-config",
      "sb-2",
      "--identity",
      sshd.identityFile,
      "--ttl",
      "600",
      "--base-url",
      server.url,
    ], env);
    assert.equal(printed.code, 0, printed.stderr);
    const lines = printed.stdout.split("\n");
    assert.ok(lines.includes("Host sandgate-sb-2"));
    assert.ok(lines.includes("  User root"), "root by default");
    assert.ok(lines.includes(`  IdentityFile ${sshd.identityFile}`));
    assert.ok(lines.includes("  IdentitiesOnly yes"));
    const proxy = lines.find((l) => l.startsWith("  ProxyCommand "))!;
    assert.match(
      proxy,
      new RegExp(
        ` ssh-proxy sb-2 --identity ${sshd.identityFile} --ttl 600 --base-url ${server.url}$`,
      ),
    );
    assert.ok(!printed.stdout.includes("ssh-config-key"), "the API key is not written anywhere");
    assert.match(printed.stderr, /ssh sandgate-sb-2/);
  });

  test("--write is idempotent, keeps the user's config below its marked Include, and follows a symlink", async () => {
    const sshDir = join(home, ".ssh");
    mkdirSync(sshDir, { recursive: true });
    const real = join(home, "dotfiles-ssh-config");
    const mine = "Host work\n  HostName work.example.test\n  User me\n";
    writeFileSync(real, mine, { mode: 0o600 });
    const config = join(sshDir, "config");
    rmSync(config, { force: true });
    symlinkSync(real, config);
    const args = ["ssh-config", "sb-3", "--identity", sshd.identityFile, "--write"];
    for (let i = 0; i < 2; i++) {
      const result = await cli(args, env);
      assert.equal(result.code, 0, result.stderr);
    }
    assert.ok(lstatSync(config).isSymbolicLink(), "the symlink is kept");
    const text = readFileSync(real, "utf8");
    assert.equal(text.match(/^Include /gm)?.length, 1, "one Include after two runs");
    assert.ok(text.startsWith("# >>> sandgate ssh-config"), "the Include comes first");
    assert.ok(text.endsWith(mine), "the user's own config is untouched");
    assert.equal(lstatSync(real).mode & 0o777, 0o600);
  });

  test("bad input: a sandbox id that cannot name a Host, or no key, is refused before anything", async () => {
    const bad = await cli(["ssh-config", "sb 1"], env);
    assert.equal(bad.code, 2);
    const nokey = await cli(["ssh-config", "sb"], { ...env, HOME: join(home, "nowhere") });
    assert.equal(nokey.code, 1);
    assert.match(nokey.stderr, /no key in ~\/\.ssh/);
  });
});

describe("the Host block as OpenSSH reads it (ssh -G)", { skip: opensshSkipReason() }, () => {
  test("paths with spaces, quotes and % survive ssh_config parsing and the shell", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandgate ssh %cfg "));
    try {
      const identityFile = join(dir, "my key %h");
      const script = join(dir, "it's main.ts");
      const block = hostBlock({
        sandboxId: "sb-q",
        identityFile,
        user: "dev",
        proxyCommand: ["/opt/deno bin/deno", "run", script, "ssh-proxy", "sb-q"],
      });
      const file = join(dir, "config");
      writeFileSync(file, block);
      const ssh = spawn("ssh", ["-G", "-F", file, "sandgate-sb-q"], { stdio: "pipe" });
      let out = "";
      ssh.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
      const code = await new Promise((resolve) => ssh.on("close", resolve));
      assert.equal(code, 0);
      const value = (key: string) =>
        out.split("\n").find((line) => line.startsWith(`${key} `))?.slice(key.length + 1);
      assert.equal(value("user"), "dev");
      assert.equal(value("identityfile"), identityFile.replaceAll("%", "%%"));
      // What ssh hands to `sh -c` after expanding %%: each word quoted once.
      assert.equal(
        value("proxycommand")?.replaceAll("%%", "%"),
        `'/opt/deno bin/deno' run '${script.replaceAll("'", `'\\''`)}' ssh-proxy sb-q`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
