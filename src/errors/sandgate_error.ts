/**
 * {@link SandgateError}, the base class of every error sandgate throws, and
 * {@link isSandgateError}, its check that works across copies of sandgate.
 *
 * @module
 */
import { nameClass } from "./_private.ts";

// Registered symbols: the same in every copy of sandgate loaded in one process.
const SANDGATE_ERROR = Symbol.for("sandgate.error");

/**
 * Base class of every error sandgate throws.
 *
 * @example Catch anything sandgate throws
 * ```ts
 * import { SandgateError } from "@sandgate/sdk";
 * try {
 *   throw new SandgateError("boom");
 * } catch (error) {
 *   if (error instanceof SandgateError) console.log(error.name, error.message);
 * }
 * ```
 */
export class SandgateError extends Error {
  /** Creates an error; `options.cause` is kept as the standard `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // sandgate's classes name themselves literally; a subclass of your own keeps its class name.
    if (!Object.hasOwn(new.target.prototype, "name")) this.name = new.target.name;
  }

  static {
    nameClass(this, "SandgateError");
    Object.defineProperty(this.prototype, SANDGATE_ERROR, { value: true });
  }

  /**
   * `instanceof` that also recognises errors from another copy of sandgate
   * (the CommonJS and ES module builds loaded side by side, two versions in
   * one bundle): it compares the literal class names on the prototype chain,
   * which survive minification.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isSandgateError(value)) return false;
    const wanted = Object.getOwnPropertyDescriptor(this.prototype, "name")?.value;
    // A subclass of your own (no literal name): only the ordinary check applies.
    if (typeof wanted !== "string") return false;
    for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
      if (Object.getOwnPropertyDescriptor(p, "name")?.value === wanted) return true;
    }
    return false;
  }
}

/**
 * Whether `value` is an error thrown by sandgate: works across the CommonJS
 * and ES module builds and across bundled copies, where `instanceof` on one
 * copy's class would not.
 *
 * @example
 * ```ts
 * import { isSandgateError, Tensorlake } from "@sandgate/sdk";
 * try {
 *   new Tensorlake({ timeout: 5000 } as never);
 * } catch (error) {
 *   if (isSandgateError(error)) console.log(error.name); // ConfigError
 * }
 * ```
 */
export function isSandgateError(value: unknown): value is SandgateError {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[SANDGATE_ERROR] === true;
}
