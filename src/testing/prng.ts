/**
 * A small seeded pseudo-random generator, so fault injection replays exactly.
 *
 * @module
 */

/** Returns a mulberry32 generator: numbers in [0, 1), fully determined by `seed`. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two draws in [0, 1) for request number `index` under `seed`, independent of other requests. */
export function drawsFor(seed: number, index: number): [number, number] {
  const next = mulberry32((seed >>> 0) ^ Math.imul(index + 1, 0x9e3779b9));
  next();
  return [next(), next()];
}
