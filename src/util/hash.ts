/**
 * Hashing with Web Crypto (`crypto.subtle.digest`) and the one hex encoder.
 * A short, stable, one-way name for an API key (the first 12 hex digits of
 * its SHA-256) is what rate-limit keys, callbacks and logs carry, never the
 * key.
 *
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * ```ts
 * import { toHex } from "./hash.ts";
 * console.log(toHex(new Uint8Array([0, 15, 255]))); // 000fff
 * ```
 */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i]!];
  return out;
}

/**
 * Web Crypto digest of `data` (text is UTF-8 encoded) as lowercase hex.
 *
 * @example
 * ```ts
 * import { digestHex } from "./hash.ts";
 * console.log((await digestHex("SHA-256", "abc")).slice(0, 12)); // ba7816bf8f01
 * ```
 */
export async function digestHex(
  algorithm: "SHA-1" | "SHA-256",
  data: string | Uint8Array<ArrayBuffer>,
): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return toHex(await crypto.subtle.digest(algorithm, bytes));
}

/** Keys a {@link tokenHasher} remembers; a key provider rotating among more is re-hashed. */
const REMEMBERED_KEYS = 8;

/**
 * Returns a function naming keys by the first 12 hex digits of their
 * SHA-256. Each key is hashed once: a key seen before is named at once (a
 * string, no promise hop on the request path), a new one with a promise.
 *
 * @example
 * ```ts
 * import { tokenHasher } from "./hash.ts";
 * const hash = tokenHasher();
 * console.log(await hash("abc")); // ba7816bf8f01
 * console.log(hash("abc")); // ba7816bf8f01 (cached: a string)
 * ```
 */
export function tokenHasher(): (key: string) => string | Promise<string> {
  const names = new Map<string, string | Promise<string>>();
  return (key) => {
    const known = names.get(key);
    if (known !== undefined) return known;
    const hashing = digestHex("SHA-256", key).then((hex) => {
      const name = hex.slice(0, 12);
      if (names.get(key) === hashing) names.set(key, name);
      return name;
    }, (error: unknown) => {
      names.delete(key);
      throw error;
    });
    if (names.size >= REMEMBERED_KEYS) names.delete(names.keys().next().value!);
    names.set(key, hashing);
    return hashing;
  };
}
