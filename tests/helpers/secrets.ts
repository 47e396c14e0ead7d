/**
 * Secret hygiene for tests: distinctive seeded secrets, and a scanner that
 * renders every error and handle the way a user (or a log pipeline) might —
 * `message`, `String()`, `stack`, the whole `cause` chain, `JSON.stringify`,
 * Node's `util.inspect` and `Deno.inspect` when present — and reports every
 * place a secret (or a recognisable piece of one) shows up.
 *
 * Portable: no Deno globals except through a `globalThis` guard.
 *
 * @module
 */

/** A distinctive API key: easy to grep, impossible to confuse with other text. */
export const SECRET_API_KEY = "sk-SECRET-apikey-7Qx9Lm2Vb8Kd4Rt6";
/** A second key, for rotation / provider-function tests. */
export const SECRET_API_KEY_2 = "sk-SECRET-rotated-3Hn5Pw7Zc1Jf9Ys2";

/** How many characters of a secret's start or end count as a leak on their own. */
const FRAGMENT = 16;

type Inspect = (value: unknown, options?: Record<string, unknown>) => string;

let nodeInspect: Inspect | undefined;
let nodeInspectLoaded = false;

/** Loads `node:util`'s `inspect` once (Node, Bun, and Deno's node compat). */
async function loadNodeInspect(): Promise<Inspect | undefined> {
  if (!nodeInspectLoaded) {
    nodeInspectLoaded = true;
    try {
      const util = await import("node:util");
      nodeInspect = util.inspect as Inspect;
    } catch {
      nodeInspect = undefined;
    }
  }
  return nodeInspect;
}

function denoInspect(): Inspect | undefined {
  const deno = (globalThis as { Deno?: { inspect?: Inspect } }).Deno;
  return typeof deno?.inspect === "function" ? deno.inspect.bind(deno) : undefined;
}

function safe(render: () => unknown): string {
  try {
    const out = render();
    return typeof out === "string" ? out : String(out);
  } catch (error) {
    // A rendering that throws is not a leak, but record why for debugging.
    return `<render failed: ${error instanceof Error ? error.name : typeof error}>`;
  }
}

/** Every error reachable from `value` through `cause` and `AggregateError.errors`. */
export function causeChain(value: unknown): unknown[] {
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  const visit = (v: unknown) => {
    if (v === undefined || v === null || seen.has(v)) return;
    seen.add(v);
    out.push(v);
    if (typeof v === "object") {
      visit((v as { cause?: unknown }).cause);
      const errors = (v as { errors?: unknown }).errors;
      if (v instanceof AggregateError && Array.isArray(errors)) errors.forEach(visit);
    }
  };
  visit(value);
  return out;
}

/** One way a value was rendered, and the text it produced. */
export interface Rendering {
  /** e.g. `"cause[1].message"`, `"JSON.stringify"`, `"util.inspect"`. */
  how: string;
  /** The rendered text. */
  text: string;
}

/**
 * Renders a value every way the scanner checks: for each error in its cause
 * chain `message`, `String()`, `stack`, `JSON.stringify`; for the value
 * itself `JSON.stringify`, `String()`, `util.inspect` (depth ∞, hidden
 * properties shown, getters evaluated) and `Deno.inspect` when available.
 */
export async function renderings(value: unknown): Promise<Rendering[]> {
  const out: Rendering[] = [];
  const chain = causeChain(value);
  chain.forEach((link, i) => {
    const where = i === 0 ? "value" : `cause[${i}]`;
    if (link instanceof Error) {
      out.push({ how: `${where}.message`, text: safe(() => link.message) });
      out.push({ how: `${where}.stack`, text: safe(() => link.stack ?? "") });
    }
    out.push({ how: `String(${where})`, text: safe(() => String(link)) });
    out.push({ how: `JSON.stringify(${where})`, text: safe(() => JSON.stringify(link) ?? "") });
  });
  const inspect = await loadNodeInspect();
  if (inspect) {
    out.push({
      how: "util.inspect",
      text: safe(() =>
        inspect(value, { depth: Infinity, showHidden: true, getters: true, breakLength: Infinity })
      ),
    });
    out.push({ how: "util.inspect(default)", text: safe(() => inspect(value)) });
  }
  const dinspect = denoInspect();
  if (dinspect) {
    out.push({
      how: "Deno.inspect",
      text: safe(() => dinspect(value, { depth: Infinity, showHidden: true, getters: true })),
    });
  }
  return out;
}

/** One secret found in one rendering. */
export interface Leak {
  /** Label of the value that leaked (e.g. `"error from exposePort"`). */
  label: string;
  /** Which rendering showed it. */
  how: string;
  /** Which secret (named, never printed). */
  secret: string;
  /** A short, redacted excerpt around the hit. */
  excerpt: string;
}

/** Needles that betray a secret: the whole value, its start, its end, and its URL-encoded form. */
function needles(secret: string): string[] {
  const set = new Set<string>([secret, encodeURIComponent(secret)]);
  if (secret.length > FRAGMENT + 4) {
    set.add(secret.slice(0, FRAGMENT));
    set.add(secret.slice(-FRAGMENT));
  }
  return [...set];
}

function redact(text: string, at: number, length: number): string {
  const from = Math.max(0, at - 30);
  const to = Math.min(text.length, at + length + 30);
  return `${text.slice(from, at)}<SECRET>${text.slice(at + length, to)}`.replace(/\s+/g, " ");
}

/**
 * Collects secrets (seeded ones and tokens learned from successful responses)
 * and scans values for them.
 *
 * @example
 * ```ts
 * const scanner = new SecretScanner({ apiKey: SECRET_API_KEY });
 * await scanner.scan(new Error("boom"), "an error");
 * scanner.assertClean();
 * ```
 */
export class SecretScanner {
  readonly #secrets = new Map<string, string>();
  readonly #leaks: Leak[] = [];
  /** How many values were scanned. */
  scanned = 0;

  /** Starts with named secrets. */
  constructor(secrets: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(secrets)) this.add(name, value);
  }

  /** Adds a secret to look for; short or empty values are refused (they would match noise). */
  add(name: string, value: string): void {
    if (typeof value !== "string" || value.length < 8) {
      throw new Error(`secret ${name} is too short to scan for reliably`);
    }
    this.#secrets.set(value, name);
  }

  /** How many distinct secrets are known. */
  get size(): number {
    return this.#secrets.size;
  }

  /** Scans one value every way {@link renderings} renders it; records leaks. */
  async scan(value: unknown, label: string): Promise<Leak[]> {
    this.scanned++;
    const found: Leak[] = [];
    for (const { how, text } of await renderings(value)) {
      for (const [secret, name] of this.#secrets) {
        for (const needle of needles(secret)) {
          const at = text.indexOf(needle);
          if (at >= 0) {
            found.push({ label, how, secret: name, excerpt: redact(text, at, needle.length) });
            break;
          }
        }
      }
    }
    this.#leaks.push(...found);
    return found;
  }

  /** Every leak recorded so far. */
  get leaks(): readonly Leak[] {
    return this.#leaks;
  }

  /** Throws, listing (redacted) leaks, when any was recorded. */
  assertClean(): void {
    if (this.#leaks.length === 0) return;
    const lines = this.#leaks.slice(0, 20).map((l) =>
      `- ${l.secret} in ${l.how} of ${l.label}: …${l.excerpt}…`
    );
    throw new Error(`${this.#leaks.length} secret leak(s):\n${lines.join("\n")}`);
  }
}
