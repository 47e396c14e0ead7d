/**
 * What every disposable high-level handle (exposure, SSH session, PTY)
 * shares: the dispose symbol, idempotent cleanup with `{ alreadyGone }`
 * results, and inspection that leaves secrets out.
 *
 * @module
 */
import { NotFoundError, type Provider } from "./errors.ts";
import type { CallOptions } from "./options.ts";

/**
 * `Symbol.asyncDispose`, or the registered symbol polyfills use on runtimes
 * that lack it. Typed as the well-known symbol so `await using` type-checks.
 */
export const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;

/** Node's `util.inspect` hook. */
export const NODE_INSPECT: unique symbol = Symbol.for("nodejs.util.inspect.custom") as never;
/** Deno's `Deno.inspect` hook. */
export const DENO_INSPECT: unique symbol = Symbol.for("Deno.customInspect") as never;

/**
 * Options of close / unexpose / kill.
 *
 * @example
 * ```ts
 * import { NotFoundError, Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("my-sandbox");
 * try {
 *   await sandbox.killPty("no-such-session", { strict: true, timeoutMs: 5000 });
 * } catch (error) {
 *   console.log(error instanceof NotFoundError); // true
 * }
 * ```
 */
export interface CleanupOptions extends CallOptions {
  /**
   * Throw `NotFoundError` when the resource is already gone, instead of
   * resolving with `{ alreadyGone: true }`. Default `false`.
   */
  strict?: boolean;
}

/**
 * What close / unexpose / kill resolve with.
 *
 * @example
 * ```ts
 * import { type CleanupResult, Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("my-sandbox");
 * const result: CleanupResult = await sandbox.killPty("no-such-session");
 * console.log(result.alreadyGone); // true
 * ```
 */
export interface CleanupResult {
  /** `true` when the server said the resource did not exist (any more). */
  readonly alreadyGone: boolean;
}

/**
 * Runs a cleanup request: resolves `{ alreadyGone: false }` on success and,
 * unless `strict`, `{ alreadyGone: true }` on a 404.
 */
export async function cleanup(
  strict: boolean | undefined,
  action: () => Promise<unknown>,
): Promise<CleanupResult> {
  try {
    await action();
    return { alreadyGone: false };
  } catch (error) {
    if (error instanceof NotFoundError && !strict) return { alreadyGone: true };
    throw error;
  }
}

/**
 * Remembers a handle's cleanup: concurrent and later calls share the first
 * call's promise, so a successful cleanup sends at most one request; a failed
 * one may be tried again. Once it succeeded the handle is {@link done}: a
 * later `{ strict: true }` call gets the `NotFoundError` from `gone()` (the
 * resource is gone, as the server would say) without a request.
 */
export class CleanupOnce {
  #result: Promise<CleanupResult> | undefined;
  #done = false;

  /** Whether a cleanup succeeded: the resource is gone. */
  get done(): boolean {
    return this.#done;
  }

  /** Runs `action` unless a cleanup already succeeded or is under way. */
  run(
    action: () => Promise<CleanupResult>,
    strict?: boolean,
    gone?: () => Error,
  ): Promise<CleanupResult> {
    if (this.#done && strict && gone) return Promise.reject(gone());
    if (this.#result) return this.#result;
    const result = action();
    this.#result = result;
    result.then(() => {
      if (this.#result === result) this.#done = true;
    }, () => {
      if (this.#result === result) this.#result = undefined;
    });
    return result;
  }
}

/**
 * The error a cleaned-up handle answers with, locally: a `NotFoundError`
 * (what the server would say) with `source: "client"`, as nothing is sent.
 */
export function goneError(provider: Provider, operation: string, what: string): NotFoundError {
  return new NotFoundError({
    status: 404,
    provider,
    operation,
    source: "client",
    body: `${what} was already cleaned up by this handle; nothing was sent`,
  });
}

type NodeInspect = (value: unknown, options?: unknown) => string;

/**
 * Renders a handle for Node's `util.inspect` or `Deno.inspect` as its class
 * name and its public (`toJSON`) fields only.
 */
export function inspectPublic(
  name: string,
  fields: object,
  inspect: unknown,
  options: unknown,
): string {
  const render = typeof inspect === "function" ? inspect as NodeInspect : undefined;
  return `${name} ${render ? render(fields, options) : JSON.stringify(fields)}`;
}

/**
 * Base of the handles: Node's `util.inspect` and `Deno.inspect` show the
 * class's public name and its `toJSON()` fields only, never a token.
 */
export abstract class PublicFields<Fields extends object> {
  /** Name shown by inspect, e.g. `"Exposure"`. */
  protected abstract readonly inspectName: string;

  /** The public fields: what `JSON.stringify` and inspect show. */
  abstract toJSON(): Fields;

  [NODE_INSPECT](_depth: number, options: unknown, inspect: unknown): string {
    return inspectPublic(this.inspectName, this.toJSON(), inspect, options);
  }

  [DENO_INSPECT](inspect: unknown, options: unknown): string {
    return inspectPublic(this.inspectName, this.toJSON(), inspect, options);
  }
}
