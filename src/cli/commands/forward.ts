/**
 * `sandgate forward`: local ports relayed to ports inside a sandbox until
 * Ctrl-C (Prime Intellect through TCP exposures, Tensorlake through its TCP
 * tunnel), or one connection on stdin/stdout with `--stdio` (an ssh
 * `ProxyCommand`).
 *
 * @module
 */
import process from "node:process";
import type { Forward, TcpConnection } from "../../../mod.ts";
import {
  type CommandSpec,
  JSON_OPTION,
  parse,
  type Parsed,
  positionals,
  PRIME_OPTIONS,
  TENSORLAKE_OPTIONS,
} from "../args.ts";
import { type Context, interruptionOf, primeIntellect, tensorlake } from "../context.ts";
import { describeError, EXIT, UsageError } from "../errors.ts";
import { rich } from "../output.ts";
import { relayStdio } from "../stdio_relay.ts";
import { formatHostPort } from "../../util/host_port.ts";

/** `sandgate forward`. */
export const FORWARD: CommandSpec = {
  name: "forward",
  usage: "forward <sandbox> [local:]remote… [--provider prime|tensorlake] [--host H] [--json]",
  summary: "Relay local ports to ports inside a sandbox until Ctrl-C (or stdio with --stdio).",
  details: [
    "Each [local:]remote listens on 127.0.0.1:local (a free port when left out or 0) and relays",
    "every connection to port `remote` inside the sandbox. Prime Intellect goes through a TCP",
    "exposure of the port (an existing one is reused; one created here is removed at the end);",
    "Tensorlake through its TCP tunnel (one WebSocket per connection). Ctrl-C, SIGTERM or",
    "SIGHUP stop listening, end every connection and remove what was created.",
    "`forward --stdio <sandbox> <port>` relays one connection over stdin/stdout, e.g. as ssh's",
    "ProxyCommand: ssh -o ProxyCommand='sandgate forward --stdio my-sandbox 22' user@sandbox",
  ],
  options: {
    provider: {
      type: "string",
      value: "P",
      description: "prime (default) or tensorlake",
    },
    host: {
      type: "string",
      value: "H",
      description: "local interface to listen on (default 127.0.0.1)",
    },
    stdio: { type: "boolean", description: "relay one connection over stdin/stdout" },
    ...JSON_OPTION,
    ...PRIME_OPTIONS,
    ...TENSORLAKE_OPTIONS,
  },
};

/** One `[local:]remote`. */
interface PortSpec {
  local: number;
  remote: number;
}

/** The provider's range of sandbox ports: Prime exposes 22–9000 (seed 004), Tensorlake 1–65535. */
const REMOTE_RANGE = { prime: [22, 9000], tensorlake: [1, 65535] } as const;
type ProviderName = keyof typeof REMOTE_RANGE;

function port(text: string, what: string, min: number, max: number, spec: string): number {
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max)) {
    throw new UsageError(`${what} in ${JSON.stringify(spec)} must be a port from ${min} to ${max}`);
  }
  return value;
}

/** Parses `[local:]remote` for `provider`. */
export function parsePortSpec(text: string, provider: ProviderName): PortSpec {
  const [min, max] = REMOTE_RANGE[provider];
  const parts = text.split(":");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new UsageError(`${JSON.stringify(text)} is not [local:]remote (e.g. 15432:5432)`);
  }
  const remote = port(parts.at(-1)!, "the remote port", min, max, text);
  const local = parts.length === 2 ? port(parts[0]!, "the local port", 0, 65535, text) : 0;
  return { local, remote };
}

function providerOf(parsed: Parsed): ProviderName {
  const value = parsed.values.provider ?? "prime";
  if (value === "prime" || value === "primeintellect") return "prime";
  if (value === "tensorlake") return "tensorlake";
  throw new UsageError(`--provider must be prime or tensorlake (got ${JSON.stringify(value)})`);
}

/** What both providers' sandboxes offer for forwarding. */
interface Forwardable {
  forward(remotePort: number, options: object): Promise<Forward>;
  connect(remotePort: number, options: { signal?: AbortSignal }): Promise<TcpConnection>;
}

function sandboxOf(ctx: Context, parsed: Parsed, provider: ProviderName, id: string): Forwardable {
  return provider === "prime"
    ? primeIntellect(ctx, parsed).sandbox(id)
    : tensorlake(ctx, parsed).sandbox(id);
}

/** Resolves once the run is interrupted (SIGINT, SIGTERM, SIGHUP). */
function interrupted(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Runs `forward`. */
export async function forward(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(FORWARD, args);
  const provider = providerOf(parsed);
  if (parsed.values.stdio) return await stdio(ctx, parsed, provider);
  const [sandboxId, ...specTexts] = parsed.positionals;
  if (sandboxId === undefined || specTexts.length === 0) {
    throw new UsageError(`usage: sandgate ${FORWARD.usage}`);
  }
  // Every argument is checked before anything listens or is sent.
  const specs = specTexts.map((text) => parsePortSpec(text, provider));
  const host = typeof parsed.values.host === "string" ? parsed.values.host : "127.0.0.1";
  const sandbox = sandboxOf(ctx, parsed, provider, sandboxId);
  const forwards: Forward[] = [];
  let failure: { error: unknown } | undefined;
  try {
    for (const spec of specs) {
      const started = await ctx.out.during(
        `forwarding port ${spec.remote} of ${sandboxId}`,
        sandbox.forward(spec.remote, {
          localPort: spec.local,
          host,
          signal: ctx.signal,
          onConnectionError: (error: unknown) =>
            ctx.out.note(
              rich`${ctx.out.err.yellow("connection failed:")} port ${String(spec.remote)}: ${
                describeError(error)
              }`,
            ),
        }),
      );
      forwards.push(started);
      const local = formatHostPort(started);
      if (parsed.values.json) {
        ctx.out.json({ local, host: started.host, port: started.port, remotePort: spec.remote });
      } else {
        ctx.out.line(`${local} -> ${sandboxId}:${spec.remote}`);
      }
    }
    ctx.out.note(ctx.out.err.dim("forwarding until Ctrl-C"));
    await interrupted(ctx.signal);
  } catch (error) {
    failure = { error };
  }
  const cleanedUp = await stopAll(ctx, forwards);
  if (failure) throw failure.error;
  // Only a signal ends forwarding: its code (128 + its number), as every command exits on one;
  // 1 when something created here could not be removed.
  return cleanedUp ? interruptionOf(ctx.signal)?.exitCode ?? EXIT.interrupted : EXIT.failure;
}

/** Stops every forward (removing what they created) and sums them up; `false` when one failed. */
async function stopAll(ctx: Context, forwards: Forward[]): Promise<boolean> {
  const results = await Promise.allSettled(forwards.map((f) => f.close()));
  for (const result of results) {
    if (result.status === "rejected") {
      ctx.out.note(rich`${ctx.out.err.red("cleanup failed:")} ${describeError(result.reason)}`);
    }
  }
  if (forwards.length > 0) {
    const total = (key: "connections" | "bytesIn" | "bytesOut") =>
      forwards.reduce((n, f) => n + f.stats[key], 0);
    ctx.out.note(
      `stopped: ${total("connections")} connections, ${total("bytesIn")} bytes in, ${
        total("bytesOut")
      } bytes out`,
    );
  }
  return results.every((r) => r.status === "fulfilled");
}

/** `forward --stdio <sandbox> <port>`: one connection over stdin/stdout. */
async function stdio(ctx: Context, parsed: Parsed, provider: ProviderName): Promise<number> {
  const [sandboxId, portText] = positionals(FORWARD, parsed, ["sandbox", "port"]);
  const [min, max] = REMOTE_RANGE[provider];
  const remote = port(portText!, "the port", min, max, portText!);
  const sandbox = sandboxOf(ctx, parsed, provider, sandboxId!);
  const connection = await sandbox.connect(remote, { signal: ctx.signal });
  try {
    // The bytes are the far end's, as they are: stdout is a pipe to ssh, not a terminal.
    await relayStdio(connection, {
      stdin: process.stdin,
      stdout: ctx.out.passthroughStream(),
      signal: ctx.signal,
    });
  } finally {
    await connection.close();
  }
  // 0 when stdin ended (ssh closed the connection); 128 + n when a signal stopped the relay.
  return interruptionOf(ctx.signal)?.exitCode ?? EXIT.ok;
}
