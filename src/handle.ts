/**
 * What every disposable high-level handle (exposure, SSH session, PTY)
 * shares: the table of handle kinds, the dispose symbol, idempotent cleanup
 * with `{ alreadyGone }` results, and inspection that leaves secrets out.
 *
 * @module
 */
import { NotFoundError, type Provider } from "./errors.ts";
import type { CallOptions } from "./options.ts";
import { assertCallOptions, assertPathId } from "./validate.ts";

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
 * Runs the cleanup call (unexpose, close, kill) of the resource of `kind`
 * with this `id`: checks the id (named as the kind names it) and `options`
 * before anything is sent, then runs `send`; resolves `{ alreadyGone: false }`
 * on success and, unless `options.strict`, `{ alreadyGone: true }` on a 404.
 */
export async function cleanup(
  kind: HandleKind,
  id: string,
  options: CleanupOptions | undefined,
  send: () => Promise<unknown>,
): Promise<CleanupResult> {
  assertPathId(kind.idField, id);
  assertCallOptions(options, ["strict"]);
  try {
    await send();
    return { alreadyGone: false };
  } catch (error) {
    if (error instanceof NotFoundError && !options?.strict) return { alreadyGone: true };
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
 * Base of objects with public fields: Node's `util.inspect` and
 * `Deno.inspect` show the class's public name and its `toJSON()` fields
 * only, never a token.
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

/**
 * Base of the disposable objects with public fields: `await using` calls
 * {@link dispose}. The dispose symbol is a computed key, which bundlers
 * cannot prove free of side effects: written here once, so the classes
 * built on it stay tree-shakeable.
 */
export abstract class DisposableFields<Fields extends object> extends PublicFields<Fields> {
  /** What `await using` runs at scope exit. */
  protected abstract dispose(): Promise<void>;

  async [asyncDispose](): Promise<void> {
    await this.dispose();
  }
}

/**
 * What kind of resource a {@link Handle} stands for: a row of a provider's
 * table (see {@link handleKinds}).
 */
export interface HandleKind {
  /** Name shown by inspect, e.g. `"Exposure"`. */
  readonly name: string;
  /** Provider, for the local `NotFoundError`s. */
  readonly provider: Provider;
  /** Operation name of the cleanup, e.g. `"unexposePort"`. */
  readonly cleanup: string;
  /** How errors name the resource, e.g. `"exposure"`. */
  readonly what: string;
  /** The handle's field holding the resource's id, e.g. `"exposureId"`. */
  readonly idField: string;
  /** The field of the create call's answer holding the new resource's id, e.g. `"exposure_id"`. */
  readonly createdIdField: string;
}

/** A {@link HandleKind} without its provider: one row of a provider's table. */
export type HandleKindRow = readonly [
  name: string,
  cleanup: string,
  what: string,
  idField: string,
  createdIdField: string,
];

/**
 * A provider's table of handle kinds from its rows (see {@link HandleKindRow}):
 * each provider keeps its own, so a bundle of one provider carries only its own.
 */
export function handleKinds<K extends string>(
  provider: Provider,
  rows: Record<K, HandleKindRow>,
): Record<K, HandleKind> {
  const table = {} as Record<K, HandleKind>;
  for (const key in rows) {
    const [name, cleanup, what, idField, createdIdField] = rows[key];
    table[key] = { name, provider, cleanup, what, idField, createdIdField };
  }
  return table;
}

/**
 * Base of the disposable handles (exposure, SSH session, PTY). The public
 * fields are declared once, in the handle's `…Info` interface: the base copies
 * them onto the handle and returns them from `toJSON()`; a secret token is
 * kept in a private field (see {@link SecretHandle}) that neither JSON nor
 * inspect reach. Cleanup runs once ({@link CleanupOnce}), `await using`
 * calls it, and once it succeeded {@link live} answers locally.
 *
 * Subclasses extend {@link Handle} (or {@link SecretHandle}), which types the
 * copied fields; they declare none of their own (class fields would shadow
 * the copy). Each keeps its owner (the sandbox handle), typed as the narrow
 * interface of the calls it makes (e.g. `PtyOwner`), and implements
 * {@link cleanupRequest} with the owner's cleanup call.
 */
export abstract class HandleBase<Info extends object> extends DisposableFields<Info> {
  readonly #kind: HandleKind;
  readonly #info: Info;
  readonly #once = new CleanupOnce();

  constructor(kind: HandleKind, info: Info) {
    super();
    this.#kind = kind;
    this.#info = { ...info };
    Object.assign(this, this.#info);
  }

  /** The cleanup request itself (unexpose, close, kill by id); {@link release} runs it once. */
  protected abstract cleanupRequest(options?: CleanupOptions): Promise<CleanupResult>;

  protected get inspectName(): string {
    return this.#kind.name;
  }

  toJSON(): Info {
    return { ...this.#info };
  }

  /** Whether the cleanup succeeded: the resource is gone. */
  protected get released(): boolean {
    return this.#once.done;
  }

  /** The cleanup, run once; a later `{ strict: true }` call gets `gone()`. */
  protected release(options?: CleanupOptions): Promise<CleanupResult> {
    return this.#once.run(
      () => this.cleanupRequest(options),
      options?.strict,
      () => this.gone(this.#kind.cleanup),
    );
  }

  /** The local `NotFoundError` for `operation` on a cleaned-up handle. */
  protected gone(operation: string): NotFoundError {
    const id = (this.#info as Record<string, unknown>)[this.#kind.idField];
    return goneError(this.#kind.provider, operation, `${this.#kind.what} ${id}`);
  }

  /** Runs `action`, or rejects with `gone(operation)`, sending nothing, once cleaned up. */
  protected live<T>(operation: string, action: () => Promise<T>): Promise<T> {
    return this.#once.done ? Promise.reject(this.gone(operation)) : action();
  }

  protected async dispose(): Promise<void> {
    await this.release();
  }
}

/** A {@link HandleBase} with a secret `token`: not an own property, never in JSON or inspect. */
export abstract class SecretHandleBase<Info extends object> extends HandleBase<Info> {
  readonly #token: string;

  constructor(kind: HandleKind, info: Info, token: string) {
    super(kind, info);
    this.#token = token;
  }

  /** The secret token. */
  get token(): string {
    return this.#token;
  }
}

/** {@link HandleBase}, typed so that its instances carry `Info`'s fields. */
export type HandleConstructor = abstract new <Info extends object>(
  kind: HandleKind,
  info: Info,
) => HandleBase<Info> & Info;

/** {@link SecretHandleBase}, typed so that its instances carry `Info`'s fields. */
export type SecretHandleConstructor = abstract new <Info extends object>(
  kind: HandleKind,
  info: Info,
  token: string,
) => SecretHandleBase<Info> & Info;

/** The base of the handles: `class X extends Handle<XInfo>` has `XInfo`'s fields. */
export const Handle: HandleConstructor = HandleBase as HandleConstructor;

/** The base of the handles with a secret `token`. */
export const SecretHandle: SecretHandleConstructor = SecretHandleBase as SecretHandleConstructor;
