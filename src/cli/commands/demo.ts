/**
 * `sandgate demo` (and `npm start`): a guided tour of sandgate.
 *
 * With no environment it starts the built-in emulator on loopback and runs
 * against it: expose a port and show its URL → list exposures → open an SSH
 * session and show the ssh command → create, resize and kill a PTY → unexpose
 * and close everything. With `PRIME_API_KEY` + `SANDGATE_PRIME_SANDBOX_ID`
 * (and/or `TENSORLAKE_API_KEY` + `SANDGATE_TENSORLAKE_SANDBOX`) set, that
 * provider's part runs against the real API instead, and the demo says so.
 *
 * Exits 0 on success; on failure prints the typed error (name and message),
 * still cleans up, and exits 1. Tokens and keys are never printed.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { type CleanupResult, PrimeIntellect, Tensorlake } from "../../../mod.ts";
import { createEmulator, type Emulator, serve, type ServedEmulator } from "../../testing/mod.ts";
import { type CommandSpec, parse, positionals } from "../args.ts";
import type { Context } from "../context.ts";
import { describeError } from "../errors.ts";
import { type Output, rich, type Styles, type Text } from "../output.ts";

/** `sandgate demo`. */
export const DEMO: CommandSpec = {
  name: "demo",
  usage: "demo",
  summary: "A guided tour: expose, list, SSH session, PTY, cleanup — on the built-in emulator.",
  details: [
    "Set PRIME_API_KEY + SANDGATE_PRIME_SANDBOX_ID and/or TENSORLAKE_API_KEY +",
    "SANDGATE_TENSORLAKE_SANDBOX to run that provider's part against the real API.",
  ],
  options: {},
};

/** Runs `demo`. */
export function demo(ctx: Context, args: string[]): Promise<number> {
  positionals(DEMO, parse(DEMO, args), []);
  return runDemo(ctx.out);
}

const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
};

/** Printing for one run of the tour. */
class Printer {
  readonly #out: Output;
  readonly s: Styles;
  #step = 0;
  constructor(out: Output) {
    this.#out = out;
    this.s = out.out;
  }
  line(text: Text = ""): void {
    this.#out.line(text);
  }
  step(title: string, result: Text): void {
    this.#step += 1;
    const label = `${String(this.#step).padStart(2)}. ${title} `;
    this.line(rich`  ${label}${this.s.dim(".".repeat(Math.max(2, 38 - label.length)))} ${result}`);
  }
  detail(text: Text): void {
    this.line(rich`        ${text}`);
  }
  section(title: string): void {
    this.line();
    this.line(this.s.bold(title));
  }
}
function cleaned(result: CleanupResult): string {
  return result.alreadyGone ? "already gone" : "done";
}

/** The public half of a fresh ed25519 key, as an OpenSSH `authorized_keys` line. */
async function ephemeralPublicKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const type = new TextEncoder().encode("ssh-ed25519");
  const blob = new Uint8Array(4 + type.length + 4 + raw.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, type.length);
  blob.set(type, 4);
  view.setUint32(4 + type.length, raw.length);
  blob.set(raw, 8 + type.length);
  return `ssh-ed25519 ${btoa(String.fromCharCode(...blob))} sandgate-demo`;
}

function shortKey(line: string): string {
  const [type, data = ""] = line.split(" ");
  return `${type} ${data.slice(0, 16)}…${data.slice(-6)}`;
}

/** The public key to authorize: yours when there is one, else a throwaway. */
async function publicKeyToAuthorize(): Promise<
  { line: string; identityFile: string; own: boolean }
> {
  const home = env("HOME");
  // An absolute path: a quoted `~` would not expand in the printed command.
  const identityFile = home ? `${home}/.ssh/id_ed25519` : "id_ed25519";
  if (home) {
    try {
      const line = (await readFile(`${home}/.ssh/id_ed25519.pub`, "utf8")).trim();
      if (line.startsWith("ssh-ed25519 ")) {
        return { line, identityFile, own: true };
      }
    } catch {
      // No key of your own: use a throwaway one.
    }
  }
  return { line: await ephemeralPublicKey(), identityFile, own: false };
}

interface Target {
  prime: PrimeIntellect;
  primeSandbox: string;
  primeLabel: string;
  tensorlake: Tensorlake;
  tensorlakeSandbox: string;
  tensorlakeName: string;
  tensorlakeLabel: string;
}

/** The tour. `await using` undoes everything still open if a step throws. */
async function tour(p: Printer, t: Target): Promise<void> {
  const { bold, dim } = p.s;
  p.section(`Prime Intellect ${t.primeLabel}, sandbox ${t.primeSandbox}`);
  const sandbox = t.prime.sandbox(t.primeSandbox);
  await using exposure = await sandbox.exposePort({ port: 8000, name: "sandgate-demo" });
  p.step(`expose port ${exposure.port}`, bold(exposure.url));

  const exposures = await sandbox.listExposures();
  p.step("list exposures", `${exposures.length} exposed`);
  for (const e of exposures) {
    p.detail(
      `${String(e.port).padEnd(5)} ${(e.protocol ?? "").padEnd(4)} ${e.name ?? "-"}  ${e.url}`,
    );
  }

  await using session = await sandbox.createSshSession({ ttlSeconds: 600 });
  p.step("open an SSH session", `${session.sessionId}, expires ${session.expiresAt.toISOString()}`);
  const key = await publicKeyToAuthorize();
  await session.authorizeKey(key.line);
  p.step(
    "authorize a public key",
    rich`${shortKey(key.line)} ${dim(key.own ? "(~/.ssh/id_ed25519.pub)" : "(a throwaway key)")}`,
  );
  p.detail(rich`$ ${bold(session.sshCommand({ identityFile: key.identityFile }).command)}`);

  p.section(`Tensorlake ${t.tensorlakeLabel}, sandbox ${t.tensorlakeName}`);
  const tl = t.tensorlake.sandbox(t.tensorlakeSandbox);
  await using pty = await tl.createPty({ command: "bash", args: ["-l"] });
  const info = await pty.info();
  p.step("create a PTY running `bash -l`", `${pty.sessionId}, ${info.cols}x${info.rows}`);
  await pty.resize({ rows: 40, cols: 120 });
  const resized = await pty.info();
  p.step("resize it", `${resized.cols}x${resized.rows}`);
  p.step("kill it", cleaned(await pty.kill()));

  p.section("Cleanup");
  p.step("close the SSH session", cleaned(await session.close()));
  p.step(`unexpose port ${exposure.port}`, cleaned(await exposure.unexpose()));
}

/**
 * Runs the tour (the `npm start` walkthrough) and resolves with the exit
 * code: 0 when every step worked and everything was closed again, else 1.
 */
export async function runDemo(out: Output): Promise<number> {
  const p = new Printer(out);
  const { bold, dim, green, red } = p.s;
  const primeKey = env("PRIME_API_KEY");
  const primeSandbox = env("SANDGATE_PRIME_SANDBOX_ID");
  const tlKey = env("TENSORLAKE_API_KEY");
  const tlSandbox = env("SANDGATE_TENSORLAKE_SANDBOX");
  const realPrime = Boolean(primeKey && primeSandbox);
  const realTensorlake = Boolean(tlKey && tlSandbox);

  p.line(bold("sandgate demo"));
  let emulator: Emulator | undefined;
  let server: ServedEmulator | undefined;
  if (!realPrime || !realTensorlake) {
    emulator = createEmulator();
    server = await serve(emulator, { port: 0, hostname: "127.0.0.1" });
    p.line(
      rich`emulator listening on ${bold(server.url)} ${dim("(no account or API key needed)")}`,
    );
    if (!realPrime && !realTensorlake) {
      p.line(
        dim(
          "set PRIME_API_KEY + SANDGATE_PRIME_SANDBOX_ID and/or TENSORLAKE_API_KEY + " +
            "SANDGATE_TENSORLAKE_SANDBOX to run against the real APIs",
        ),
      );
    }
  }

  let failed = false;
  try {
    await tour(p, {
      prime: realPrime
        ? new PrimeIntellect({ apiKey: primeKey! })
        : new PrimeIntellect({ apiKey: "demo-key", baseUrl: server!.url }),
      primeSandbox: realPrime ? primeSandbox! : "demo-sandbox",
      primeLabel: realPrime ? "(real API)" : "(emulator)",
      tensorlake: new Tensorlake({ apiKey: realTensorlake ? tlKey! : "demo-key" }),
      // On loopback the emulator names the sandbox "default".
      tensorlakeSandbox: realTensorlake ? tlSandbox! : server!.url,
      tensorlakeName: realTensorlake ? tlSandbox! : `default (${server!.url})`,
      tensorlakeLabel: realTensorlake ? "(real API)" : "(emulator)",
    });
  } catch (error) {
    failed = true;
    p.line();
    p.line(red(`✗ ${describeError(error)}`));
    p.line(dim("everything opened so far was closed again"));
  } finally {
    if (emulator) {
      const live = emulator.live();
      const { served, overLimit } = emulator.stats;
      p.line();
      p.line(
        `emulator: ${live.exposures} exposures, ${live.sshSessions} SSH sessions, ` +
          `${live.ptys} PTYs left open; ${served} requests served, ${overLimit} over the rate limit`,
      );
    }
    await server?.close();
  }
  p.line();
  p.line(failed ? red("demo failed") : green("✓ demo finished, everything closed"));
  return failed ? 1 : 0;
}
