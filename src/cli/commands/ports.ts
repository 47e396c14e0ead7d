/**
 * `sandgate expose`, `unexpose` and `ports`: Prime Intellect port exposures.
 *
 * @module
 */
import type { ExposureInfo } from "../../../mod.ts";
import {
  type CommandSpec,
  integerArgument,
  integerOption,
  JSON_OPTION,
  parse,
  positionals,
  PRIME_OPTIONS,
  stringOption,
} from "../args.ts";
import { type Context, primeIntellect } from "../context.ts";
import { UsageError } from "../errors.ts";

/** `sandgate expose`. */
export const EXPOSE: CommandSpec = {
  name: "expose",
  usage: "expose <sandbox> <port> [--name N] [--tcp] [--wait [--ready-timeout S]] [--json]",
  summary:
    "Expose a port of a Prime Intellect sandbox and print its URL (or host:port with --tcp).",
  details: [
    "The exposure stays until `sandgate unexpose <sandbox> <exposure-id>`.",
    "--wait prints the URL only once the service answers through it (the gateway's",
    '502/503/504 page is "not yet"; TCP: a byte or a connection held open); a port',
    "that does not answer within --ready-timeout is unexposed again (exit code 7).",
  ],
  options: {
    name: { type: "string", value: "N", description: "a name for the exposure (≤ 50 characters)" },
    tcp: { type: "boolean", description: "a raw TCP exposure instead of HTTP" },
    wait: { type: "boolean", description: "wait until the service answers through the exposure" },
    "ready-timeout": {
      type: "string",
      value: "S",
      description: "with --wait: how long to wait, in seconds (default 60)",
    },
    ...JSON_OPTION,
    ...PRIME_OPTIONS,
  },
};

/** `sandgate unexpose`. */
export const UNEXPOSE: CommandSpec = {
  name: "unexpose",
  usage: "unexpose <sandbox> <exposure-id> [--json]",
  summary: "Remove a port exposure (an unknown id is an error, exit code 4).",
  options: { ...JSON_OPTION, ...PRIME_OPTIONS },
};

/** `sandgate ports`. */
export const PORTS: CommandSpec = {
  name: "ports",
  usage: "ports <sandbox> [--json] | ports --all [--json]",
  summary: "List the exposed ports of a sandbox (SSH sessions' TCP exposures included).",
  options: {
    all: { type: "boolean", description: "every sandbox's exposures" },
    ...JSON_OPTION,
    ...PRIME_OPTIONS,
  },
};

/** Runs `expose`. */
export async function expose(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(EXPOSE, args);
  const [sandboxId, portText] = positionals(EXPOSE, parsed, ["sandbox", "port"]);
  const port = integerArgument(EXPOSE, "<port>", portText!, 22, 9000);
  const name = stringOption(parsed, "name");
  const wait = parsed.values.wait === true;
  const readySeconds = integerOption(EXPOSE, parsed, "ready-timeout", 1, 3600);
  if (readySeconds !== undefined && !wait) {
    throw new UsageError("expose: --ready-timeout needs --wait");
  }
  const sandbox = primeIntellect(ctx, parsed).sandbox(sandboxId!);
  const exposure = await ctx.out.during(
    wait
      ? `exposing port ${port} of ${sandboxId} and waiting until it answers`
      : `exposing port ${port} of ${sandboxId}`,
    sandbox.exposePort(
      {
        port,
        ...(name === undefined ? {} : { name }),
        protocol: parsed.values.tcp ? "TCP" : "HTTP",
        ...(wait
          ? { waitUntilReady: { timeoutMs: (readySeconds ?? 60) * 1000, signal: ctx.signal } }
          : {}),
      },
      { signal: ctx.signal },
    ),
  );
  if (parsed.values.json) {
    ctx.out.json(exposure.toJSON());
  } else {
    ctx.out.line(
      exposure.protocol === "TCP" ? exposure.externalEndpoint ?? exposure.url : exposure.url,
    );
    ctx.out.note(
      ctx.out.err.dim(
        `exposure ${exposure.exposureId}; remove it with: sandgate unexpose ${sandboxId} ${exposure.exposureId}`,
      ),
    );
  }
  return 0;
}

/** Runs `unexpose`. */
export async function unexpose(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(UNEXPOSE, args);
  const [sandboxId, exposureId] = positionals(UNEXPOSE, parsed, ["sandbox", "exposure-id"]);
  const sandbox = primeIntellect(ctx, parsed).sandbox(sandboxId!);
  await ctx.out.during(
    `removing ${exposureId}`,
    sandbox.unexposePort(exposureId!, { strict: true, signal: ctx.signal }),
  );
  if (parsed.values.json) ctx.out.json({ exposureId, removed: true });
  else ctx.out.line(`removed ${exposureId}`);
  return 0;
}

/** Runs `ports`. */
export async function ports(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(PORTS, args);
  const all = parsed.values.all === true;
  const given = positionals(PORTS, parsed, [], ["sandbox"]);
  if (all === (given.length === 1)) {
    throw new UsageError(`ports: give a <sandbox> or --all (usage: sandgate ${PORTS.usage})`);
  }
  const prime = primeIntellect(ctx, parsed);
  const exposures = all
    ? await ctx.out.during(
      "listing every sandbox's exposures",
      prime.listAllExposures({ signal: ctx.signal }),
    )
    : await ctx.out.during(
      `listing the exposures of ${given[0]}`,
      prime.sandbox(given[0]!).listExposures({ signal: ctx.signal }),
    );
  if (parsed.values.json) {
    ctx.out.json(exposures);
    return 0;
  }
  if (exposures.length === 0) {
    ctx.out.note(all ? "no exposed ports" : `no exposed ports on ${given[0]}`);
    return 0;
  }
  table(ctx, exposures, all);
  return 0;
}

function table(ctx: Context, exposures: ExposureInfo[], withSandbox: boolean): void {
  const header = [
    ...(withSandbox ? ["SANDBOX"] : []),
    "EXPOSURE",
    "PORT",
    "PROTO",
    "NAME",
    "ENDPOINT",
  ];
  const rows = exposures.map((e) => [
    ...(withSandbox ? [e.sandboxId] : []),
    e.exposureId,
    String(e.port),
    e.protocol ?? "-",
    e.name ?? "-",
    e.protocol === "TCP" ? e.externalEndpoint ?? e.url : e.url,
  ]);
  ctx.out.table(header, rows);
}
