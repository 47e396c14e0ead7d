/**
 * Tensorlake's argument rules for PTY sessions, checked before any request:
 * terminal sizes, arguments and environment variables. Each throws an
 * `InvalidArgumentError` naming the field and the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { assertIntegerInRange, assertText } from "../validate.ts";

/**
 * The terminal sizes Tensorlake documents (it clamps rows to 1..500 and cols
 * to 1..1000: https://docs.tensorlake.ai/api-reference/v2/pty/create). A
 * value outside is rejected here rather than silently clamped there.
 */
export const PTY_LIMITS = { rows: 500, cols: 1000 } as const;

/** Checks a terminal dimension: an integer from 1 to 500 rows or 1 to 1000 cols. */
export function assertDimension(field: "rows" | "cols", value: unknown): asserts value is number {
  assertIntegerInRange(field, value, 1, PTY_LIMITS[field]);
}

/** Checks a `{ cols, rows }` size, as a resize takes it. */
export function assertPtySize(size: unknown): asserts size is { cols: number; rows: number } {
  if (typeof size !== "object" || size === null) {
    throw new InvalidArgumentError("size", size, "must be { cols, rows }");
  }
  const { cols, rows } = size as { cols?: unknown; rows?: unknown };
  assertDimension("cols", cols);
  assertDimension("rows", rows);
}

/** Checks PTY arguments: an array of strings without NUL characters (never echoed). */
export function assertArgs(value: unknown): asserts value is string[] | undefined {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError("args", value, "must be an array of strings");
  }
  value.forEach((arg, i) => assertText(`args[${i}]`, arg, { secret: true, allowEmpty: true }));
}

const ENV_NAME = /^[^=\0]+$/;

/**
 * Checks PTY environment variables and returns a copy of their own entries:
 * a plain object of string values; names non-empty without `=` or NUL and
 * not `__proto__`. Values may be secrets and are never echoed.
 */
export function normalizeEnv(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError("env", value, "must be an object of string values");
  }
  const entries: [string, string][] = [];
  for (const [name, text] of Object.entries(value)) {
    if (!ENV_NAME.test(name) || name === "__proto__") {
      throw new InvalidArgumentError(
        "env",
        name,
        "variable names must be non-empty, without `=` or NUL, and not __proto__",
      );
    }
    assertText(`env.${name}`, text, { secret: true, allowEmpty: true });
    entries.push([name, text]);
  }
  return Object.fromEntries(entries);
}
