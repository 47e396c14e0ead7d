/**
 * The one redaction mechanism for every secret sandgate holds (the API key,
 * an SSH session token): whatever a server or a `fetch` echoes back is
 * replaced by `[redacted]` before it can reach an error's message, stack,
 * body, headers, properties or `cause` chain.
 *
 * - Secrets of 8 characters or more are removed wherever they occur; shorter
 *   ones wherever they stand alone (not inside a longer word), so a short key
 *   is still hidden without garbling the text around it.
 * - The JSON-escaped and URL-encoded spellings count as the secret too.
 * - A response header whose *name* contains a secret is dropped.
 * - A foreign error that still holds a secret where it cannot be rewritten
 *   (a frozen object, a `Headers` or `Request` property) is replaced by a
 *   plain copy with the secret removed.
 *
 * @module
 */

/** What a secret is replaced by. */
export const REDACTED = "[redacted]";

/** Secrets of at least this length are redacted wherever they occur. */
const LONG = 8;
/** How deep causes and nested properties are followed. */
const MAX_DEPTH = 6;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The spellings of each secret that may show up in text. */
function spellings(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    out.add(secret);
    out.add(JSON.stringify(secret).slice(1, -1));
    try {
      out.add(encodeURIComponent(secret));
    } catch {
      // A lone surrogate: the key check refuses such keys anyway.
    }
  }
  // Longest first, so that a spelling containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * A redactor for a fixed set of secrets: `text` removes them from a string,
 * `has` tells whether a string holds one (header names: case-insensitively).
 */
export interface Redactor {
  /** `value` with every secret replaced by `[redacted]`. */
  text(value: string): string;
  /** Whether `value` holds a secret (compared case-insensitively when `ignoreCase`). */
  has(value: string, ignoreCase?: boolean): boolean;
}

/**
 * Builds a {@link Redactor} for `secrets`.
 *
 * @example
 * ```ts
 * import { redactor } from "./redact.ts";
 * const redact = redactor(["sk-very-secret", "tok7abc"]);
 * console.log(redact.text("key sk-very-secret, token tok7abc")); // key [redacted], token [redacted]
 * ```
 */
export function redactor(secrets: readonly string[]): Redactor {
  const all = spellings(secrets);
  const patterns = all.map((s) =>
    s.length >= LONG
      ? new RegExp(escapeRegExp(s), "g")
      : new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(s)}(?![A-Za-z0-9])`, "g")
  );
  // Header names arrive lower-cased: compared without case, with the same rule for short secrets.
  const folded = all.map((s) =>
    s.length >= LONG
      ? new RegExp(escapeRegExp(s), "i")
      : new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(s)}(?![A-Za-z0-9])`, "i")
  );
  return {
    text(value) {
      let out = value;
      for (const pattern of patterns) {
        pattern.lastIndex = 0;
        if (pattern.test(out)) {
          pattern.lastIndex = 0;
          out = out.replace(pattern, REDACTED);
        }
      }
      return out;
    },
    has(value, ignoreCase = false) {
      if (!ignoreCase) return this.text(value) !== value;
      return folded.some((pattern) => pattern.test(value));
    },
  };
}

/**
 * A non-2xx response with every secret removed from its status text, header
 * names and values, and body (read as text; bodies are buffered and capped by
 * then). Success responses are returned untouched: they carry tokens by design.
 *
 * @example
 * ```ts
 * import { redactResponse } from "./redact.ts";
 * const echoed = new Response("bad key sk-very-secret", { status: 401 });
 * console.log(await (await redactResponse(echoed, ["sk-very-secret"])).text()); // bad key [redacted]
 * ```
 */
export async function redactResponse(
  response: Response,
  secrets: readonly string[],
): Promise<Response> {
  if (response.ok || response.status < 200) return response;
  const redact = redactor(secrets);
  const text = await response.clone().text();
  let dirty = redact.has(response.statusText) || redact.has(text);
  for (const [name, value] of response.headers) {
    if (redact.has(name, true) || redact.has(value)) dirty = true;
  }
  if (!dirty) return response;
  const headers = new Headers();
  for (const [name, value] of response.headers) {
    if (name === "content-length" || redact.has(name, true)) continue;
    headers.append(name, redact.text(value));
  }
  return new Response(text === "" ? null : redact.text(text), {
    status: response.status,
    statusText: redact.text(response.statusText),
    headers,
  });
}

/**
 * Removes `secrets` from `error` and everything reachable from it: message,
 * stack and every other own property (nested objects and arrays included) of
 * each error in the `cause` chain (and `AggregateError.errors`). Where a
 * value cannot be rewritten in place, the property is replaced by
 * `[redacted]`; a cause that still holds a secret is replaced by a plain
 * `Error` copy. Returns `error` (or, for a secret-holding primitive, its
 * redacted text).
 *
 * @example
 * ```ts
 * import { redactError } from "./redact.ts";
 * const error = Object.assign(new Error("fetch failed"), { header: "Bearer sk-very-secret" });
 * redactError(error, ["sk-very-secret"]);
 * console.log((error as unknown as { header: string }).header); // Bearer [redacted]
 * ```
 */
export function redactError(error: unknown, secrets: readonly string[]): unknown {
  const redact = redactor(secrets);
  if (typeof error === "string") return redact.text(error);
  const clean = scrub(error, redact, 0, new Set());
  return clean || !(error instanceof Error) ? error : plainCopy(error, redact);
}

/** Whether anything reachable from `value` (bounded depth) holds a secret. */
function holds(value: unknown, redact: Redactor, depth: number, seen: Set<unknown>): boolean {
  if (typeof value === "string") return redact.has(value);
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH || seen.has(value)) {
    return false;
  }
  seen.add(value);
  if (value instanceof Headers) {
    for (const [name, v] of value) if (redact.has(name, true) || redact.has(v)) return true;
    return false;
  }
  if (typeof Request !== "undefined" && value instanceof Request) {
    return redact.has(value.url) || holds(value.headers, redact, depth + 1, seen);
  }
  if (typeof Response !== "undefined" && value instanceof Response) {
    return holds(value.headers, redact, depth + 1, seen);
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      if (holds(k, redact, depth + 1, seen) || holds(v, redact, depth + 1, seen)) return true;
    }
    return false;
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "string" && redact.has(key, true)) return true;
    let v: unknown;
    try {
      v = (value as Record<PropertyKey, unknown>)[key];
    } catch {
      continue;
    }
    if (holds(v, redact, depth + 1, seen)) return true;
  }
  return false;
}

/** Rewrites in place what can be rewritten; returns whether `value` is clean afterwards. */
function scrub(value: unknown, redact: Redactor, depth: number, seen: Set<unknown>): boolean {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH || seen.has(value)) {
    return true;
  }
  seen.add(value);
  if (!holds(value, redact, 0, new Set())) return true;
  const opaque = value instanceof Headers || value instanceof Map ||
    (typeof Request !== "undefined" && value instanceof Request) ||
    (typeof Response !== "undefined" && value instanceof Response);
  if (opaque) return false;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (!descriptor) continue;
    let current: unknown;
    try {
      // An accessor (V8's `stack` is one) is read once and, if dirty, becomes data.
      current = "value" in descriptor ? descriptor.value : Reflect.get(value, key);
    } catch {
      continue;
    }
    let replacement: unknown = current;
    if (typeof current === "string") {
      if (redact.has(current)) replacement = redact.text(current);
    } else if (typeof current === "object" && current !== null) {
      const clean = scrub(current, redact, depth + 1, seen);
      if (!clean) {
        replacement = key === "cause" && current instanceof Error
          ? plainCopy(current, redact)
          : REDACTED;
      }
    }
    const renamed = typeof key === "string" && redact.has(key, true);
    if (replacement === current && !renamed) continue;
    try {
      if (renamed) {
        if (!Reflect.deleteProperty(value, key)) return false;
      } else {
        Object.defineProperty(value, key, {
          value: replacement,
          writable: descriptor.writable ?? true,
          enumerable: descriptor.enumerable ?? false,
          configurable: descriptor.configurable ?? true,
        });
      }
    } catch {
      return false;
    }
  }
  return !holds(value, redact, 0, new Set());
}

/** A plain `Error` carrying what `error` said, with the secrets removed. */
function plainCopy(error: Error, redact: Redactor): Error {
  const copy = new Error(redact.text(String(error.message)));
  copy.name = redact.text(String(error.name));
  copy.stack = redact.text(String(error.stack ?? ""));
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && !redact.has(code)) {
    Object.defineProperty(copy, "code", { value: code, enumerable: true });
  }
  return copy;
}
