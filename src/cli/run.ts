/**
 * The CLI's dispatch: `sandgate <command> [options]`, top-level help, and
 * the one place where errors become a line on stderr and an exit code.
 *
 * @module
 */
import { type CommandSpec, helpText } from "./args.ts";
import { DEMO, demo } from "./commands/demo.ts";
import { EMULATOR, emulator } from "./commands/emulator.ts";
import { FORWARD, forward } from "./commands/forward.ts";
import { EXPOSE, expose, PORTS, ports, UNEXPOSE, unexpose } from "./commands/ports.ts";
import { PTY, pty } from "./commands/pty.ts";
import { SSH, ssh } from "./commands/ssh.ts";
import { SSH_CONFIG, sshConfig } from "./commands/ssh_config.ts";
import { SSH_PROXY, sshProxy } from "./commands/ssh_proxy.ts";
import { type Context, interruptionOf, withSignals } from "./context.ts";
import { describeError, EXIT, exitCodeOf, UsageError } from "./errors.ts";
import { type Io, Output, rich } from "./output.ts";
import { VERSION } from "../../mod.ts";

interface Command {
  spec: CommandSpec;
  run(ctx: Context, args: string[]): Promise<number>;
}

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [
  { spec: SSH, run: ssh },
  { spec: SSH_CONFIG, run: sshConfig },
  { spec: SSH_PROXY, run: sshProxy },
  { spec: EXPOSE, run: expose },
  { spec: UNEXPOSE, run: unexpose },
  { spec: PORTS, run: ports },
  { spec: FORWARD, run: forward },
  { spec: PTY, run: pty },
  { spec: EMULATOR, run: emulator },
  { spec: DEMO, run: demo },
];

/** `sandgate --help`. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    "usage: sandgate <command> [options]   (sandgate --version, sandgate help <command>)",
    "",
    "Sandbox gateways from the terminal: SSH and exposed ports on Prime Intellect,",
    "interactive terminals on Tensorlake, and a local emulator of both.",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    "",
    "Run `sandgate <command> --help` for a command's options.",
    "",
    "environment (the same as the SDK's):",
    "  PRIME_API_KEY                  Prime Intellect API key",
    "  PRIME_API_BASE_URL             Prime Intellect API base URL (older: PRIME_BASE_URL)",
    "  TENSORLAKE_API_KEY             Tensorlake API key",
    "  TENSORLAKE_SANDBOX_PROXY_URL   Tensorlake sandbox proxy",
    "  NO_COLOR                       no colour even on a terminal",
    "",
    "exit codes:",
    "  0 ok · 1 failure · 2 usage or invalid argument · 3 configuration (API key, URL)",
    "  4 not found · 5 authentication · 6 rate limited · 7 network or timeout",
    "  129 SIGHUP · 130 SIGINT · 131 SIGQUIT · 143 SIGTERM (also how forward and emulator end)",
    "  ssh and pty: the remote program's exit code (above 255: its low byte, never 0; negative: 1)",
    "",
  ].join("\n");
}

/** Runs the CLI on `argv` (without the program name) and resolves with the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const out = new Output(io);
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? COMMANDS.find((c) => c.spec.name === args[0]) : undefined;
    out.lines(topic ? helpText(topic.spec) : mainHelp());
    return EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    out.line(`sandgate ${VERSION}`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    out.note(
      rich`${out.err.red("error:")} UsageError: unknown command ${
        JSON.stringify(name)
      } ${"(run `sandgate --help` for the list)"}`,
    );
    return EXIT.usage;
  }
  if (args.includes("--help") || args.includes("-h")) {
    const end = args.indexOf("--");
    const help = args.findIndex((a) => a === "--help" || a === "-h");
    if (end === -1 || help < end) {
      out.lines(helpText(command.spec));
      return EXIT.ok;
    }
  }
  return await withSignals(async (signal) => {
    try {
      return await command.run({ out, signal }, args);
    } catch (error) {
      const interruption = interruptionOf(signal);
      if (interruption) {
        out.note(out.err.yellow(`interrupted (${interruption.signal})`));
        return interruption.exitCode;
      }
      const usage = error instanceof UsageError;
      out.note(rich`${out.err.red("error:")} ${describeError(error)}`);
      if (usage) out.note(out.err.dim(`run \`sandgate ${name} --help\` for usage`));
      return exitCodeOf(error);
    }
  });
}
