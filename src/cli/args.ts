/**
 * Command definitions and argument parsing with `node:util` `parseArgs`
 * (Deno, Node and Bun alike), plus the help text generated from them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { didYouMean } from "../options.ts";
import { UsageError } from "./errors.ts";

/** One option of a command. */
export interface OptionSpec {
  /** `string` takes a value, `boolean` is a flag. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Shown in the help. */
  description: string;
  /** Placeholder of the value in the help, e.g. `URL`. */
  value?: string;
  /** Repeatable: the values come as an array. */
  multiple?: boolean;
  /**
   * Why the option is refused wherever it appears before `--`; left out of
   * the help and of "did you mean". Checked before parsing, so what follows
   * it (a secret that starts with `-`) can change neither the message nor be
   * echoed in it.
   */
  refused?: string;
}

/** The options every command takes. */
export const HELP_OPTION: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", description: "show this help" },
};
/** `--json`, for commands that print data. */
export const JSON_OPTION: Record<string, OptionSpec> = {
  json: { type: "boolean", description: "print the result as JSON" },
};
/** Where Prime Intellect is. */
export const PRIME_OPTIONS: Record<string, OptionSpec> = {
  "base-url": {
    type: "string",
    value: "URL",
    description:
      "Prime Intellect API base URL (default: PRIME_API_BASE_URL, PRIME_BASE_URL, https://api.primeintellect.ai)",
  },
};
/** Where Tensorlake is. */
export const TENSORLAKE_OPTIONS: Record<string, OptionSpec> = {
  "sandbox-url": {
    type: "string",
    value: "URL",
    description:
      "the sandbox_url Tensorlake's lifecycle API returned for <sandbox> (wins over the proxy)",
  },
  "proxy-url": {
    type: "string",
    value: "URL",
    description:
      "Tensorlake sandbox proxy (default: TENSORLAKE_SANDBOX_PROXY_URL, https://sandbox.tensorlake.ai)",
  },
};

/** What a command's parse yields. */
export interface Parsed {
  /** Option values by long name. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Positionals before `--`. */
  positionals: string[];
  /** Everything after `--`, untouched. */
  rest: string[];
}

/** A command: its usage line, help and options. */
export interface CommandSpec {
  /** E.g. `"expose"`. */
  name: string;
  /** E.g. `"expose <sandbox> <port> [--name N] [--tcp]"`. */
  usage: string;
  /** One line. */
  summary: string;
  /** More lines for `--help`. */
  details?: string[];
  /** Options besides `--help`. */
  options: Record<string, OptionSpec>;
  /**
   * Whether arguments after `--` are passed on untouched (`ssh`, `pty`); for
   * other commands `--` only ends the options (`expose sb -- -1`).
   */
  passthrough?: boolean;
}

/** Parses `args` for `spec`: unknown options and missing values are {@link UsageError}s. */
export function parse(spec: CommandSpec, args: string[]): Parsed {
  const options = { ...HELP_OPTION, ...spec.options };
  for (const arg of args) {
    if (arg === "--") break;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    const refused = name === undefined ? undefined : options[name]?.refused;
    if (refused !== undefined) {
      throw new UsageError(`${spec.name}: --${name} is refused: ${refused}`);
    }
  }
  const config: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const [name, option] of Object.entries(options)) {
    config[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.multiple ? { multiple: true } : {}),
    };
  }
  let result;
  try {
    result = parseArgs({
      args,
      options: config,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(`${spec.name}: ${parseProblem(args, options, error as Error)}`);
  }
  const terminator = result.tokens.find((t) => t.kind === "option-terminator")?.index ??
    Infinity;
  const positionals: string[] = [];
  const rest: string[] = [];
  for (const token of result.tokens) {
    if (token.kind !== "positional") continue;
    (token.index > terminator && spec.passthrough ? rest : positionals).push(token.value);
  }
  return { values: result.values as Parsed["values"], positionals, rest };
}

/**
 * What was wrong with a command line `parseArgs` refused, in one line of our
 * own: an unknown option gets the SDK's did-you-mean (`--nmae` → `--name`),
 * a negative number is said to be one; other messages are the parser's first
 * line (`Option '--ttl <value>' argument missing`).
 */
function parseProblem(
  args: string[],
  options: Record<string, OptionSpec>,
  error: Error,
): string {
  const { tokens } = parseArgs({ args, allowPositionals: true, strict: false, tokens: true });
  const shorts = new Map(
    Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name]] : [])),
  );
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const known = Object.hasOwn(options, token.name) || shorts.has(token.name);
    if (known) continue;
    const raw = token.rawName.startsWith("--") ? token.rawName : `-${token.name}`;
    if (/^-\d/.test(token.rawName)) {
      return `unexpected ${raw}: a negative number is not an option, and no argument here ` +
        "takes one (put arguments that start with - after --)";
    }
    const visible = Object.entries(options).filter(([, o]) => o.refused === undefined).map(([n]) =>
      n
    );
    const guess = token.rawName.startsWith("--") ? didYouMean(token.name, visible) : undefined;
    return `unknown option ${raw}${guess ? `; did you mean --${guess}?` : ""}`;
  }
  return error.message.split("\n")[0]!;
}

/** Checks the count of positionals; returns them. */
export function positionals(
  spec: CommandSpec,
  parsed: Parsed,
  names: string[],
  optional: string[] = [],
): string[] {
  const { positionals: given } = parsed;
  if (given.length < names.length) {
    throw new UsageError(
      `${spec.name}: missing <${names[given.length]}> (usage: sandgate ${spec.usage})`,
    );
  }
  if (given.length > names.length + optional.length) {
    throw new UsageError(
      `${spec.name}: unexpected argument ${
        JSON.stringify(given[names.length + optional.length])
      } ` +
        `(usage: sandgate ${spec.usage})`,
    );
  }
  return given;
}

/** A string option's value, if given. */
export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable string option's values, in order. */
export function stringOptions(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === "string");
}

/** An integer option, checked against a range. */
export function integerOption(
  spec: CommandSpec,
  parsed: Parsed,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const raw = stringOption(parsed, name);
  if (raw === undefined) return undefined;
  return integerArgument(spec, `--${name}`, raw, min, max);
}

/** An integer argument, checked against a range. */
export function integerArgument(
  spec: CommandSpec,
  label: string,
  raw: string,
  min: number,
  max: number,
): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      `${spec.name}: ${label} must be an integer from ${min} to ${max} (got ${
        JSON.stringify(raw)
      })`,
    );
  }
  return value;
}

/** The `--help` text of a command. */
export function helpText(spec: CommandSpec): string {
  const options = { ...spec.options, ...HELP_OPTION };
  const rows = Object.entries(options).filter(([, o]) => o.refused === undefined).map(
    ([name, option]) => {
      const flag = `${option.short ? `-${option.short}, ` : "    "}--${name}${
        option.value ? ` ${option.value}` : ""
      }`;
      return [flag, option.description] as const;
    },
  );
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    `usage: sandgate ${spec.usage}`,
    "",
    spec.summary,
    ...(spec.details ? ["", ...spec.details] : []),
    "",
    "options:",
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    "",
  ].join("\n");
}
