/**
 * Loads a module that another part of the project may not have landed yet,
 * so a benchmark can report "not available" instead of failing to start.
 *
 * @module
 */

/**
 * Imports `path` (relative to the repository root) or resolves `undefined`
 * when the file does not exist.
 *
 * @example
 * ```ts
 * import { importOptional } from "./optional.ts";
 * console.log(await importOptional("does/not/exist.ts")); // undefined
 * ```
 */
export async function importOptional(path: string): Promise<Record<string, unknown> | undefined> {
  const url = new URL(`../../${path}`, import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    return undefined;
  }
  return await import(url.href) as Record<string, unknown>;
}
