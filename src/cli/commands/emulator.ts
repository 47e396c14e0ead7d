/**
 * `sandgate emulator`: the built-in emulator of both providers on a
 * loopback port, for tests in any language, with the environment variables
 * that point the CLI and the SDK at it.
 *
 * @module
 */
import {
  createEmulator,
  type EmulatorRequestLog,
  type EmulatorSandbox,
  serve,
} from "../../testing/mod.ts";
import {
  type CommandSpec,
  integerOption,
  JSON_OPTION,
  parse,
  positionals,
  stringOptions,
} from "../args.ts";
import { parseHostPort } from "../../util/host_port.ts";
import { type Context, interruptionOf } from "../context.ts";
import { rich } from "../output.ts";
import { EXIT, UsageError } from "../errors.ts";

/** `sandgate emulator`. */
export const EMULATOR: CommandSpec = {
  name: "emulator",
  usage:
    "emulator [--port N] [--service PORT=HOST:PORT]… [--sandbox ID[:STATUS][:vm]]… [--no-limits] [--quiet] [--json]",
  summary: "Serve the built-in Prime Intellect + Tensorlake emulator on 127.0.0.1 until Ctrl-C.",
  details: [
    "Prints the URL and the environment variables that point the CLI and the SDK at it.",
    "Any API key is accepted; SSH sessions get a TCP endpoint on 127.0.0.1 that accepts",
    "connections (it is not an SSH server). It also answers Tensorlake's lifecycle lookup",
    "(GET /v1/namespaces/{namespace}/sandboxes/{id}) with a sandbox_url pointing back at",
    "itself, so the providers' own clients run against it too. A Tensorlake sandbox is named",
    "by X-Tensorlake-Sandbox-Id or a Host of {id}.local; the URL alone is the default one.",
  ],
  options: {
    port: { type: "string", value: "N", description: "port to listen on (default: a free one)" },
    service: {
      type: "string",
      value: "PORT=HOST:PORT",
      multiple: true,
      description:
        "what listens on PORT inside every emulated sandbox: forwards and TCP exposures reach HOST:PORT",
    },
    sandbox: {
      type: "string",
      value: "ID[:STATUS][:vm]",
      multiple: true,
      description:
        "a known Prime sandbox, e.g. sb-1, sb-new:PENDING or sb-vm:vm (default RUNNING, not a VM); with any, others answer 404",
    },
    "no-limits": {
      type: "boolean",
      description:
        "serve without Prime Intellect's documented rate limits (20 / 60 s and 60 / 60 s)",
    },
    quiet: {
      type: "boolean",
      description:
        "no request log (by default one line per request on stderr: method, path, status)",
    },
    ...JSON_OPTION,
  },
};

/**
 * The variables that point sandgate, and the providers' own clients, at an
 * emulator served at `url`: none of them sends anything to a cloud then.
 * Prime Intellect's SDK and CLI read `PRIME_API_BASE_URL` (older
 * `PRIME_BASE_URL`) and `PRIME_API_KEY` (PrimeIntellect-ai/prime@66fb4b7
 * packages/prime-sandboxes/src/prime_sandboxes/core/config.py). Tensorlake's SDKs
 * look a sandbox up on `TENSORLAKE_API_URL` first (a localhost API:
 * `GET /v1/namespaces/{namespace}/sandboxes/{id}`, served here) and use
 * `TENSORLAKE_SANDBOX_PROXY_URL` as the explicit proxy (tensorlakeai/tensorlake@cab3838
 * typescript/src/url.ts, typescript/src/defaults.ts).
 */
export function emulatorEnvironment(url: string): Record<string, string> {
  return {
    PRIME_API_BASE_URL: url,
    PRIME_BASE_URL: url,
    PRIME_API_KEY: "emulator",
    TENSORLAKE_API_URL: url,
    TENSORLAKE_API_KEY: "emulator",
    TENSORLAKE_SANDBOX_PROXY_URL: url,
  };
}

/** `--service PORT=HOST:PORT` values, checked before anything listens. */
function servicesOf(values: string[]): Record<number, string> {
  const services: Record<number, string> = {};
  for (const value of values) {
    const match = /^(\d{1,5})=(.+)$/.exec(value);
    const port = match ? Number(match[1]) : NaN;
    if (!match || !(port >= 1 && port <= 65535) || !parseHostPort(match[2])) {
      throw new UsageError(
        `--service ${JSON.stringify(value)}: must be PORT=HOST:PORT (e.g. 5432=127.0.0.1:5432)`,
      );
    }
    services[port] = match[2]!;
  }
  return services;
}

/**
 * Statuses of `GET /api/v1/sandbox/{sandbox_id}`:
 * https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint, plus `TIMEOUT`
 * (PrimeIntellect-ai/prime packages/prime-sandboxes/src/prime_sandboxes/models.py@66fb4b7).
 */
const STATUSES = ["PENDING", "PROVISIONING", "RUNNING", "PAUSED", "ERROR", "TERMINATED", "TIMEOUT"];

/** `--sandbox ID[:STATUS][:vm]` values, checked before anything listens. */
function sandboxesOf(values: string[]): EmulatorSandbox[] | undefined {
  if (values.length === 0) return undefined;
  return values.map((value) => {
    const [id = "", ...rest] = value.split(":");
    const sandbox: { id: string; status?: string; vm?: boolean } = { id };
    for (const part of rest) {
      if (part.toLowerCase() === "vm" && sandbox.vm === undefined) sandbox.vm = true;
      else if (STATUSES.includes(part.toUpperCase()) && sandbox.status === undefined) {
        sandbox.status = part.toUpperCase();
      } else {
        sandbox.id = "";
      }
    }
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(sandbox.id)) {
      throw new UsageError(
        `--sandbox ${JSON.stringify(value)}: must be ID[:STATUS][:vm], STATUS one of ${
          STATUSES.join(", ")
        } (e.g. sb-new:PENDING, sb-vm:vm)`,
      );
    }
    return sandbox;
  });
}

/** Runs `emulator` until SIGINT / SIGTERM. */
export async function emulator(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(EMULATOR, args);
  positionals(EMULATOR, parsed, []);
  const port = integerOption(EMULATOR, parsed, "port", 0, 65535) ?? 0;
  const log = parsed.values.quiet ? {} : {
    // The path is percent-encoded (no control or bidi character) and has no query:
    // a PTY token may travel there.
    onRequest: ({ method, path, status }: EmulatorRequestLog) =>
      ctx.out.note(`${method} ${path} ${status}`),
  };
  const limits = parsed.values["no-limits"] ? { rateLimit: false as const } : {};
  const services = servicesOf(stringOptions(parsed, "service"));
  const sandboxes = sandboxesOf(stringOptions(parsed, "sandbox"));
  const known = sandboxes ? { sandboxes } : {};
  const server = await serve(createEmulator({ ...limits, ...log, services, ...known }), {
    port,
    hostname: "127.0.0.1",
  });
  try {
    const env = emulatorEnvironment(server.url);
    if (parsed.values.json) {
      ctx.out.json({ url: server.url, port: server.port, env });
    } else {
      const { bold, dim } = ctx.out.out;
      ctx.out.line(rich`emulator listening on ${bold(server.url)} ${dim("(Ctrl-C to stop)")}`);
      ctx.out.line("");
      ctx.out.line(dim("# point the CLI and the SDK at it:"));
      for (const [name, value] of Object.entries(env)) ctx.out.line(`export ${name}=${value}`);
      ctx.out.line("");
      ctx.out.line(dim("# then, in another terminal:"));
      ctx.out.line("sandgate expose my-sandbox 8000");
      ctx.out.line("sandgate ports my-sandbox");
      ctx.out.line("sandgate ssh my-sandbox");
      ctx.out.line("sandgate pty my-sandbox");
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    ctx.out.note("emulator stopped");
    // Only a signal stops it: its code (128 + its number), as every command exits on one.
    return interruptionOf(ctx.signal)?.exitCode ?? EXIT.interrupted;
  } finally {
    await server.close();
  }
}
