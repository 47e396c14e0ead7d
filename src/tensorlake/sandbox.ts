/**
 * One Tensorlake sandbox, as the high-level API shows it: the
 * {@link TensorlakeSandbox} interface that `Tensorlake.sandbox()` returns
 * (PTY sessions, forwarding), and its options.
 *
 * @module
 */
import type { CleanupOptions, CleanupResult } from "../handle.ts";
import type { CallOptions } from "../options.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import type { AttachOptions, PtyConnection } from "./attach.ts";
import type { TensorlakeClient } from "./client.ts";
import type { CreatePtyOptions, ListedPty, Pty, PtyInfo, PtySize } from "./pty.ts";

/** Options of {@link Tensorlake.sandbox}. */
export interface TensorlakeSandboxOptions {
  /**
   * The `sandbox_url` Tensorlake's lifecycle API returned for this sandbox
   * (`https:`; plain `http:` only on loopback). Requests go there.
   */
  sandboxUrl?: string;
}

/**
 * One Tensorlake sandbox's PTY sessions. Get it from
 * {@link Tensorlake.sandbox}.
 *
 * Every method checks its arguments before sending anything (an
 * `InvalidArgumentError` names the field and the rule), accepts per-call
 * `{ signal, timeoutMs }` last, and throws typed `ApiError`s.
 *
 * @example
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("my-sandbox");
 * await using pty = await sandbox.createPty({ command: "bash", args: ["-l"], rows: 40 });
 * await pty.resize({ rows: 50, cols: 120 });
 * console.log((await pty.info()).cols); // 120
 * ```
 */
export interface TensorlakeSandbox {
  /** The sandbox id or name (or URL) given to {@link Tensorlake.sandbox}. */
  readonly id: string;
  /** The typed low-level openapi-fetch client for this sandbox. */
  readonly client: TensorlakeClient;

  /**
   * Starts `command` on a new pseudo-terminal and returns its {@link Pty}
   * handle. At most 64 sessions may exist per sandbox (a `RateLimitedError`
   * with code `TOO_MANY_SESSIONS` past that, thrown at once: capacity is not
   * retried).
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("my-sandbox");
   * await using pty = await sandbox.createPty({
   *   command: "python3",
   *   env: { PYTHONUNBUFFERED: "1" },
   *   workingDir: "/workspace",
   * });
   * console.log(pty.sessionId);
   * ```
   */
  createPty(options: CreatePtyOptions, callOptions?: CallOptions): Promise<Pty>;

  /**
   * Lists the sandbox's PTY sessions; each can be killed directly with `kill()`.
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("my-sandbox");
   * for (const info of await sandbox.listPtys()) console.log(info.sessionId, info.command);
   * ```
   */
  listPtys(callOptions?: CallOptions): Promise<ListedPty[]>;

  /**
   * Describes one PTY session (`NotFoundError` when it does not exist).
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("my-sandbox");
   * await using pty = await sandbox.createPty({ command: "bash" });
   * console.log((await sandbox.getPty(pty.sessionId)).rows); // 24
   * ```
   */
  getPty(sessionId: string, callOptions?: CallOptions): Promise<PtyInfo>;

  /**
   * Resizes a PTY session's terminal.
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("my-sandbox");
   * await using pty = await sandbox.createPty({ command: "bash" });
   * await sandbox.resizePty(pty.sessionId, { rows: 30, cols: 100 });
   * ```
   */
  resizePty(sessionId: string, size: PtySize, callOptions?: CallOptions): Promise<void>;

  /**
   * Kills a PTY session (SIGHUP, then SIGKILL). Resolves
   * `{ alreadyGone: true }` on a 404 unless `{ strict: true }`.
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("my-sandbox");
   * const { sessionId } = await sandbox.createPty({ command: "bash" });
   * console.log(await sandbox.killPty(sessionId)); // { alreadyGone: false }
   * console.log(await sandbox.killPty(sessionId)); // { alreadyGone: true }
   * ```
   */
  killPty(sessionId: string, options?: CleanupOptions): Promise<CleanupResult>;

  /**
   * Attaches to a running PTY session by id and token (e.g. from another
   * process). Rejects with `ForbiddenError` (code `INVALID_TOKEN`) for a
   * wrong token, `NotFoundError` (code `SESSION_NOT_FOUND`) for an unknown
   * session, `TimeoutError` when the handshake outlasts `timeoutMs`.
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const emulator = createEmulator();
   * const sandbox = new Tensorlake({
   *   apiKey: "demo",
   *   fetch: emulator.fetch,
   *   webSocket: emulator.webSocket,
   * }).sandbox("my-sandbox");
   * await using pty = await sandbox.createPty({ command: "bash" });
   * await using connection = await sandbox.attachPty(pty.sessionId, pty.token);
   * await connection.resize({ cols: 120, rows: 40 });
   * ```
   */
  attachPty(sessionId: string, token: string, options?: AttachOptions): Promise<PtyConnection>;

  /**
   * Creates a PTY and attaches to it in one call. Disposing the connection
   * (`await using`) detaches and kills the PTY; `close()` only detaches. When
   * attaching fails, the PTY just created is killed.
   *
   * @example
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const emulator = createEmulator();
   * const sandbox = new Tensorlake({
   *   apiKey: "demo",
   *   fetch: emulator.fetch,
   *   webSocket: emulator.webSocket,
   * }).sandbox("my-sandbox");
   * await using terminal = await sandbox.openPty({ command: "bash", cols: 100, rows: 30 });
   * const writer = terminal.input.getWriter();
   * await writer.write("exit 0\n");
   * console.log(await terminal.exit); // { kind: "exited", exitCode: 0 }
   * ```
   */
  openPty(options: CreatePtyOptions & AttachOptions): Promise<PtyConnection>;

  /**
   * Listens on a local port (Deno, Node, Bun) and relays each connection to
   * `remotePort` inside the sandbox through Tensorlake's TCP tunnel (one
   * WebSocket per connection; the port need not be exposed). `await using`
   * stops it.
   *
   * @example
   * ```ts ignore
   * await using forward = await tensorlake.sandbox("my-sandbox").forward(5432, { localPort: 15432 });
   * console.log(`psql -h ${forward.host} -p ${forward.port}`);
   * ```
   */
  forward(remotePort: number, options?: ForwardOptions): Promise<Forward>;

  /**
   * A duplex byte stream to `remotePort` inside the sandbox over the TCP
   * tunnel's WebSocket: works wherever a WebSocket does (workerd included).
   * Browsers cannot send the `Authorization` header the tunnel needs.
   *
   * @example
   * ```ts ignore
   * await using db = await tensorlake.sandbox("my-sandbox").connect(6379);
   * await db.writable.getWriter().write(new TextEncoder().encode("PING\r\n"));
   * ```
   */
  connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection>;
}
