/**
 * A short, stable, one-way name for an API key: the first 12 hex digits of
 * its SHA-256. Rate-limit keys, callbacks and logs carry this, never the key.
 *
 * SHA-256 is computed synchronously here (a few microseconds for a key), so
 * that naming a key never adds an asynchronous step to a request; results are
 * cached for the last key seen.
 *
 * @module
 */

/** Round constants K and initial state H, derived on first use (see FIPS 180-4 §4.2.2, §5.3.3). */
let K: Uint32Array | undefined;
let H: Uint32Array;

function constants(): Uint32Array {
  // The first 32 bits of the fractional parts of the cube roots (K) and square
  // roots (H) of the first 64 (8) primes.
  K = new Uint32Array(64);
  H = new Uint32Array(8);
  for (let n = 2, found = 0; found < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (!prime) continue;
    if (found < 8) H[found] = (n ** 0.5 % 1) * 2 ** 32;
    K[found++] = (n ** (1 / 3) % 1) * 2 ** 32;
  }
  return K;
}

/**
 * SHA-256 of the UTF-8 encoding of `text`, as 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./token_hash.ts";
 * console.log(sha256Hex("abc").slice(0, 12)); // ba7816bf8f01
 * ```
 */
export function sha256Hex(text: string): string {
  const k = K ?? constants();
  const bytes = new TextEncoder().encode(text);
  const length = bytes.length;
  // Message, 0x80, zeros, 64-bit big-endian bit length: a multiple of 64 bytes.
  const padded = new Uint8Array(((length + 72) >> 6) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, length / 0x2000_0000);
  view.setUint32(padded.length - 4, length << 3);
  const h = H.slice();
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    const v = h.slice();
    for (let i = 0; i < 64; i++) {
      if (i < 16) w[i] = view.getUint32(offset + i * 4);
      else {
        const a = w[i - 15]!, b = w[i - 2]!;
        w[i] = w[i - 16]! + (rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)) + w[i - 7]! +
          (rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10));
      }
      const [a, b, c, d, e, f, g, hh] = v as unknown as number[];
      const t1 = hh! + (rotr(e!, 6) ^ rotr(e!, 11) ^ rotr(e!, 25)) + ((e! & f!) ^ (~e! & g!)) +
        k[i]! + w[i]!;
      const t2 = (rotr(a!, 2) ^ rotr(a!, 13) ^ rotr(a!, 22)) + ((a! & b!) ^ (a! & c!) ^ (b! & c!));
      v.copyWithin(1, 0, 7);
      v[0] = t1 + t2;
      v[4] = d! + t1;
    }
    for (let i = 0; i < 8; i++) h[i] = h[i]! + v[i]!;
  }
  return Array.from(h, (word) => word.toString(16).padStart(8, "0")).join("");
}

/**
 * Returns a function naming keys by the first 12 hex digits of their
 * SHA-256, remembering the last key it named (keys rarely change).
 *
 * @example
 * ```ts
 * import { tokenHasher } from "./token_hash.ts";
 * const hash = tokenHasher();
 * console.log(hash("abc")); // ba7816bf8f01
 * ```
 */
export function tokenHasher(): (key: string) => string {
  let lastKey: string | undefined;
  let lastHash = "";
  return (key) => {
    if (key !== lastKey) {
      lastHash = sha256Hex(key).slice(0, 12);
      lastKey = key;
    }
    return lastHash;
  };
}
