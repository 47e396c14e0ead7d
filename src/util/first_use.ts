/**
 * A value built on first use, typically from a module loaded with `import()`
 * (a chunk of its own in a consumer's bundle, fetched when first needed).
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/**
 * Loads a value once, on the first {@link FirstUse.get}; concurrent first
 * calls share the load. A failed load (a chunk the network did not deliver)
 * is not kept: the next call tries again. Once loaded, {@link FirstUse.value}
 * has it, so a hot path needs no promise hop.
 *
 * @example
 * ```ts
 * import { FirstUse } from "./first_use.ts";
 * let loads = 0;
 * const answer = new FirstUse(() => Promise.resolve(++loads));
 * if (answer.value !== undefined) throw new Error("nothing loads before the first use");
 * const [a, b] = await Promise.all([answer.get(), answer.get()]);
 * if (a !== 1 || b !== 1 || answer.value !== 1 || loads !== 1) throw new Error("loaded once");
 * ```
 */
export class FirstUse<T> {
  /** The value, once loaded. */
  value: T | undefined;
  #loading: Promise<T> | undefined;
  readonly #load: () => Promise<T>;

  /** `load` is called on the first {@link get}, and again after it failed. */
  constructor(load: () => Promise<T>) {
    this.#load = load;
  }

  /**
   * The value, loading it first if needed. A load is told to `clock.track`
   * (the client's clock): a `FakeClock` then holds time still until the load
   * is done, as it does for any work it cannot see (src/util/clock.ts).
   */
  get(clock?: Pick<Clock, "track">): Promise<T> {
    if (this.value !== undefined) return Promise.resolve(this.value);
    const loading = this.#start();
    return clock?.track?.(loading) ?? loading;
  }

  /**
   * `use(value)`: at once when the value is loaded (no promise hop), else
   * once {@link get} has loaded it.
   */
  use<R>(use: (value: T) => Promise<R>, clock?: Pick<Clock, "track">): Promise<R> {
    const value = this.value;
    return value !== undefined ? use(value) : this.get(clock).then(use);
  }

  #start(): Promise<T> {
    return this.#loading ??= this.#load().then(
      (value) => (this.value = value),
      (error: unknown) => {
        this.#loading = undefined;
        throw error;
      },
    );
  }
}
