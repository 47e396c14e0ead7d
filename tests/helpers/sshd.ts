// OpenSSH for the `ssh-config` test: the real `ssh`/`scp` client and a real `sshd` the test starts
// on 127.0.0.1, on a port of its own, with its own host key, user key and authorized_keys in a
// temporary directory (no system file read or changed, except that sshd run by root needs the
// privilege separation directory /run/sshd, which Debian's service would create).
// As a script, `ensure` installs openssh-client and openssh-server when missing (apt-get, as
// root, as on CI) — run by `npm test` before the suites:
//
//   deno run --allow-all tests/helpers/sshd.ts ensure
//
// Missing, the test is skipped loudly; under CI=true it fails instead.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort } from "./loopback.ts";
import { ensureTool, findTool, type SystemTool, toolSkipReason } from "./system_tool.ts";

const required = () => process.env.CI === "true";
const SSHD: SystemTool = {
  binary: "sshd",
  pkg: "openssh-server",
  tests: "the ssh-config test with a real sshd",
  requiredBy: "CI=true",
  required,
  extraDirs: ["/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin"],
};
const SSH: SystemTool = {
  binary: "ssh",
  pkg: "openssh-client",
  tests: "the ssh-config test with the real ssh client",
  requiredBy: "CI=true",
  required,
};
const SFTP_SERVERS = [
  "/usr/lib/openssh/sftp-server",
  "/usr/libexec/openssh/sftp-server",
  "/usr/libexec/sftp-server",
  "/usr/lib/ssh/sftp-server",
];

/** `false` when the OpenSSH test can run (or must, under CI=true); else why it is skipped. */
export function opensshSkipReason(): string | false {
  return toolSkipReason(SSH) || toolSkipReason(SSHD);
}

/** A running sshd and what to log in to it with. */
export interface Sshd {
  /** Its port on 127.0.0.1. */
  port: number;
  /** The temporary directory (keys, config, files for scp). */
  dir: string;
  /** The user's private key (its `.pub` is authorized). */
  identityFile: string;
  /** The user to log in as: whoever runs the test. */
  user: string;
  /** Path of `ssh` and `scp`. */
  ssh: string;
  scp: string;
  /** Logins sshd accepted so far (from its log). */
  accepted(): number;
  /** Stops sshd and removes the directory. */
  close(): Promise<void>;
}

/** Starts sshd on a free loopback port; resolves once it listens. */
export async function startSshd(): Promise<Sshd> {
  const sshd = findTool(SSHD)!;
  const ssh = findTool(SSH)!;
  const scp = findTool({ ...SSH, binary: "scp" }) ?? "scp";
  const keygen = findTool({ ...SSH, binary: "ssh-keygen" }) ?? "ssh-keygen";
  const dir = mkdtempSync(join(tmpdir(), "sandgate-sshd-"));
  const key = (name: string) => {
    execFileSync(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", join(dir, name)]);
    return join(dir, name);
  };
  const hostKey = key("host_key");
  const identityFile = key("id_ed25519");
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${identityFile}.pub`));
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const sftp = SFTP_SERVERS.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    "LogLevel INFO",
    ...(sftp ? [`Subsystem sftp ${sftp}`] : []),
    "",
  ].join("\n");
  writeFileSync(join(dir, "sshd_config"), config);
  // -D: no daemon, -e: log to stderr (how the test counts logins).
  const child: ChildProcess = spawn(sshd, ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (log += s));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; i < 200 && !log.includes("Server listening"); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (!log.includes("Server listening")) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`sshd did not start: ${log.trim().slice(0, 500)}`);
  }
  return {
    port,
    dir,
    identityFile,
    // `id -un`, not os.userInfo(): Bun answers "unknown" where no USER is set.
    user: execFileSync("id", ["-un"], { encoding: "utf8" }).trim(),
    ssh,
    scp,
    accepted: () => (log.match(/Accepted publickey/g) ?? []).length,
    async close() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if ((import.meta as { main?: boolean }).main && process.argv.includes("ensure")) {
  process.exit(Math.max(ensureTool(SSH), ensureTool(SSHD)));
}
