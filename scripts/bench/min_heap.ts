/**
 * A binary min-heap of `(time, index)` pairs in typed arrays: the event
 * queue of the limiter simulation.
 *
 * @module
 */

/**
 * Fixed-capacity min-heap ordered by time (ties: lower index first).
 *
 * @example
 * ```ts
 * import { MinHeap } from "./min_heap.ts";
 * const heap = new MinHeap(4);
 * heap.push(5, 0);
 * heap.push(1, 1);
 * console.log(heap.pop()); // 1
 * ```
 */
export class MinHeap {
  #times: Float64Array;
  #ids: Int32Array;
  /** Number of entries. */
  size = 0;
  /** Time of the last popped entry. */
  time = 0;

  /** Creates an empty heap holding at most `capacity` entries. */
  constructor(capacity: number) {
    this.#times = new Float64Array(capacity);
    this.#ids = new Int32Array(capacity);
  }

  #less(a: number, b: number): boolean {
    const t = this.#times;
    return t[a]! < t[b]! || (t[a] === t[b] && this.#ids[a]! < this.#ids[b]!);
  }

  #swap(a: number, b: number): void {
    const t = this.#times;
    const ids = this.#ids;
    const tt = t[a]!;
    t[a] = t[b]!;
    t[b] = tt;
    const ti = ids[a]!;
    ids[a] = ids[b]!;
    ids[b] = ti;
  }

  /** Adds `id` due at `time`. */
  push(time: number, id: number): void {
    let i = this.size++;
    this.#times[i] = time;
    this.#ids[i] = id;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes the earliest entry, sets {@link time}, and returns its id. */
  pop(): number {
    const id = this.#ids[0]!;
    this.time = this.#times[0]!;
    const last = --this.size;
    this.#swap(0, last);
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < last && this.#less(l, m)) m = l;
      if (r < last && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return id;
  }
}
