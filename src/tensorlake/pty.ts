/**
 * PTY sessions: the camelCase shapes the high-level Tensorlake API returns,
 * and the disposable {@link Pty} handle.
 *
 * @module
 */
import { type CleanupOptions, type CleanupResult, SecretHandle } from "../handle.ts";
import { TENSORLAKE_HANDLES } from "./handles.ts";
import type { CallOptions } from "../options.ts";
import type { Shape } from "../request.ts";
import type { CreatePtyResponse, PtySessionInfo } from "../wire_types.ts";
import type { PtySize } from "./pty_size.ts";
import type { AttachOptions, PtyConnection } from "./attach.ts";

export type { PtySize };

/**
 * Options of `createPty`.
 *
 * @example
 * ```ts
 * import type { CreatePtyOptions } from "@sandgate/sdk";
 * const options: CreatePtyOptions = { command: "bash", args: ["-l"], rows: 40, cols: 120 };
 * console.log(options.command);
 * ```
 */
export interface CreatePtyOptions {
  /** The program to run, e.g. `"bash"`. */
  command: string;
  /** Its arguments. */
  args?: string[];
  /** Extra environment variables (values are never echoed in errors). */
  env?: Record<string, string>;
  /** Working directory. */
  workingDir?: string;
  /** Terminal rows, 1–500 (the range Tensorlake documents). Server default: 24. */
  rows?: number;
  /** Terminal columns, 1–1000 (the range Tensorlake documents). Server default: 80. */
  cols?: number;
}

/**
 * What `getPty` and `listPtys` report about a PTY session.
 *
 * @example
 * ```ts
 * import { type PtyInfo, Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const tensorlake = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * const info: PtyInfo = await pty.info();
 * console.log(info.command, info.rows, info.cols, info.createdAt.toISOString(), info.isAlive);
 * ```
 */
export interface PtyInfo {
  /** Session id. */
  readonly sessionId: string;
  /** Process id of the program inside the sandbox. */
  readonly pid: number;
  /** The program it runs. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** Terminal rows. */
  readonly rows: number;
  /** Terminal columns. */
  readonly cols: number;
  /** When it was created (the wire's `created_at`, epoch milliseconds). */
  readonly createdAt: Date;
  /** Whether the program is still running. */
  readonly isAlive: boolean;
  /** When the program ended, or `null` while it runs. */
  readonly endedAt: Date | null;
  /** Exit code once the program has exited, else `null`. */
  readonly exitCode: number | null;
  /** `true` when the kernel OOM killer terminated it (the wire sends the field only then). */
  readonly oomKilled: boolean;
}

/**
 * A PTY session started by `createPty`. `await using` kills it at scope
 * exit; killing is idempotent (a 404 resolves `{ alreadyGone: true }`).
 *
 * Its `token` (for the session's WebSocket, header `X-PTY-Token`) is a
 * secret: it is not an own property, and `JSON.stringify`, Node's
 * `util.inspect` and `Deno.inspect` leave it out.
 *
 * @example
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const tensorlake = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch });
 * const pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * await pty.resize({ rows: 30, cols: 100 });
 * console.log(await pty.kill()); // { alreadyGone: false }
 * console.log(await pty.kill()); // the same result, no second request
 * ```
 */
export interface Pty extends AsyncDisposable {
  /** Session id. */
  readonly sessionId: string;
  /** Token for `/api/v1/pty/{sessionId}/ws`. Secret. */
  readonly token: string;
  /**
   * Kills the session; later calls reuse the first successful result, and a
   * later `{ strict: true }` call throws `NotFoundError` without a request.
   */
  kill(options?: CleanupOptions): Promise<CleanupResult>;
  /** Whether this handle killed its session: then `resize` and `info` reject locally. */
  readonly killed: boolean;
  /** Resizes the terminal (`NotFoundError`, nothing sent, once killed). */
  resize(size: PtySize, options?: CallOptions): Promise<void>;
  /** Describes the session (`NotFoundError`, nothing sent, once killed). */
  info(options?: CallOptions): Promise<PtyInfo>;
  /**
   * Opens the session's WebSocket: terminal output, input, resize and exit
   * (see {@link PtyConnection}). Closing the connection detaches; the PTY
   * keeps running until killed.
   */
  attach(options?: AttachOptions): Promise<PtyConnection>;
  /** The public fields (never the token). */
  toJSON(): { readonly sessionId: string };
}

/**
 * One entry of `listPtys`: the session's {@link PtyInfo}, plus `kill()` to
 * clean it up directly (a listing carries no token, so it cannot attach).
 * `kill` is not enumerable: `JSON.stringify` and equality checks see the
 * plain fields.
 *
 * @example
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("my-sandbox");
 * await sandbox.createPty({ command: "bash" });
 * for (const pty of await sandbox.listPtys()) console.log(await pty.kill()); // { alreadyGone: false }
 * ```
 */
export interface ListedPty extends PtyInfo {
  /** Kills the session; a 404 resolves `{ alreadyGone: true }` unless `{ strict: true }`. */
  kill(options?: CleanupOptions): Promise<CleanupResult>;
}

/** Adds a non-enumerable `kill` to a listed session's info. */
export function toListedPty(
  info: PtyInfo,
  kill: (sessionId: string, options?: CleanupOptions) => Promise<CleanupResult>,
): ListedPty {
  return Object.defineProperty(info, "kill", {
    value: (options?: CleanupOptions) => kill(info.sessionId, options),
  }) as ListedPty;
}

/** The fields `CreatePtyResponse` promises. */
export const CREATE_PTY_SHAPE: Shape<CreatePtyResponse> = {
  session_id: "string",
  token: "string",
};

/**
 * The fields `PtySessionInfo` promises, as documented at
 * https://docs.tensorlake.ai/api-reference/v2/pty/get (times are int64 epoch
 * milliseconds). Fields a newer daemon adds are tolerated and ignored.
 */
export const PTY_INFO_SHAPE: Shape<PtySessionInfo> = {
  session_id: "string",
  pid: "integer",
  command: "string",
  args: "string[]",
  rows: "integer",
  cols: "integer",
  created_at: "epoch-ms",
  is_alive: "boolean",
  ended_at: "epoch-ms?",
  exit_code: "integer?",
  oom_killed: "boolean?",
};

/** Converts a checked `PtySessionInfo` to camelCase, epoch milliseconds to `Date`s. */
export function toPtyInfo(body: PtySessionInfo): PtyInfo {
  return {
    sessionId: body.session_id,
    pid: body.pid,
    command: body.command,
    args: body.args,
    rows: body.rows,
    cols: body.cols,
    createdAt: new Date(body.created_at),
    isAlive: body.is_alive,
    endedAt: body.ended_at === undefined || body.ended_at === null ? null : new Date(body.ended_at),
    exitCode: body.exit_code ?? null,
    oomKilled: body.oom_killed === true,
  };
}

/**
 * What a {@link PtyHandle} calls on its owner, the sandbox handle it was
 * created by (which implements it): the sandbox's own calls, by session id.
 */
export interface PtyOwner {
  /** Kills a session by id. */
  killPty(sessionId: string, options?: CleanupOptions): Promise<CleanupResult>;
  /** Resizes a session by id. */
  resizePty(sessionId: string, size: PtySize, options?: CallOptions): Promise<void>;
  /** Describes a session by id. */
  getPty(sessionId: string, options?: CallOptions): Promise<PtyInfo>;
  /** Attaches to a session by id and token. */
  attachPty(sessionId: string, token: string, options?: AttachOptions): Promise<PtyConnection>;
}

/** The public fields of a {@link PtyHandle}. */
export interface PtyHandleFields {
  /** Session id. */
  readonly sessionId: string;
}
/** The {@link Pty} implementation. */
export class PtyHandle extends SecretHandle<PtyHandleFields> implements Pty {
  readonly #owner: PtyOwner;

  constructor(sessionId: string, token: string, owner: PtyOwner) {
    super(TENSORLAKE_HANDLES.pty, { sessionId }, token);
    this.#owner = owner;
  }

  protected cleanupRequest(options?: CleanupOptions): Promise<CleanupResult> {
    return this.#owner.killPty(this.sessionId, options);
  }

  kill(options?: CleanupOptions): Promise<CleanupResult> {
    return this.release(options);
  }

  resize(size: PtySize, options?: CallOptions): Promise<void> {
    return this.live("resizePty", () => this.#owner.resizePty(this.sessionId, size, options));
  }

  info(options?: CallOptions): Promise<PtyInfo> {
    return this.live("getPty", () => this.#owner.getPty(this.sessionId, options));
  }

  attach(options?: AttachOptions): Promise<PtyConnection> {
    return this.live("attachPty", () => this.#owner.attachPty(this.sessionId, this.token, options));
  }

  /** Whether this handle killed its session (then it answers locally). */
  get killed(): boolean {
    return this.released;
  }
}
