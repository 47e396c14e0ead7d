/**
 * A list the compiler holds complete: every member of a union, nothing else.
 *
 * @module
 */

/** `unknown` when `Listed` covers `All`; otherwise a shape naming what is missing. */
export type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? unknown
  : { readonly missing: Exclude<All, Listed> };

/**
 * Returns a function that returns its list as it is, and fails the type check
 * when the list leaves out a member of `U` (the error names it) or holds a
 * value outside `U`: a key added to an interface, or a kind added to a union,
 * cannot be forgotten in the list that names them all at run time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exhaustive } from "./exhaustive.ts";
 *
 * interface Options {
 *   limit?: number;
 *   windowMs?: number;
 * }
 * const KEYS = exhaustive<keyof Options>()(["limit", "windowMs"]);
 * assert.deepEqual(KEYS, ["limit", "windowMs"]);
 * // exhaustive<keyof Options>()(["limit"]) does not type-check: `windowMs` is missing.
 * ```
 */
export function exhaustive<U>(): <const L extends readonly U[]>(
  list: L & Covers<U, L[number]>,
) => L {
  return (list) => list;
}
