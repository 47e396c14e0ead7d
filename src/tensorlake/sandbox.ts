/**
 * The high-level Tensorlake API: {@link Tensorlake} and its per-sandbox
 * {@link TensorlakeSandbox} handles for PTY sessions.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { cleanup, type CleanupOptions, type CleanupResult } from "../handle.ts";
import { TENSORLAKE_HANDLES } from "./handles.ts";
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import type { CallOptions } from "../options.ts";
import { createGatewayClient, type Pipeline } from "../pipeline.ts";
import { invoke, invokeChecked, type InvokeContext } from "../request.ts";
import type { ListPtyResponse } from "../wire_types.ts";
import {
  assertCallOptions,
  assertOptionsObject,
  assertPathId,
  assertRequiredOptions,
  assertText,
  parseSecureUrl,
} from "../validate.ts";
import { assertArgs, assertDimension, normalizeEnv } from "./validate.ts";
import {
  assertAttachOptions,
  type AttachOptions,
  connectPty,
  diagnoseHandshake,
  type PtyConnection,
} from "./attach.ts";
import { startForward } from "../forward/forward.ts";
import { assertConnectOptions, assertRemotePort, forwardSettings } from "../forward/options.ts";
import { tcpListener } from "../forward/tcp.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import { openTunnel, type TunnelContext } from "./tunnel.ts";
import type { ChannelOpener } from "../websocket/open.ts";
import {
  assertSandboxRef,
  TENSORLAKE_OPTION_KEYS,
  type TensorlakeClient,
  type TensorlakeClientOptions,
  tensorlakePipeline,
} from "./client.ts";
import {
  CREATE_PTY_SHAPE,
  type CreatePtyOptions,
  type ListedPty,
  type Pty,
  PTY_INFO_SHAPE,
  PtyHandle,
  type PtyInfo,
  type PtySize,
  toListedPty,
  toPtyInfo,
} from "./pty.ts";

/** Sandbox handles kept per Tensorlake instance; older ones are evicted. */
const MAX_CACHED_SANDBOXES = 1024;

const PTY = "/api/v1/pty";

/**
 * Options of {@link Tensorlake}: the client options, minus the per-sandbox ones.
 *
 * @example
 * ```ts
 * import { Tensorlake, type TensorlakeOptions } from "@sandgate/sdk";
 * const options: TensorlakeOptions = {
 *   apiKey: "tl_apiKey_demo",
 *   proxyUrl: "https://sandbox.tensorlake.ai",
 *   timeoutMs: 30_000,
 * };
 * console.log(new Tensorlake(options).sandbox("my-sandbox").id);
 * ```
 */
export type TensorlakeOptions = Omit<TensorlakeClientOptions, "sandbox" | "sandboxUrl" | "baseUrl">;

/**
 * Tensorlake sandboxes' PTY API, the easy way: pick a sandbox by id or name
 * (with its `sandbox_url`, when known), then start, list, resize and kill PTY sessions.
 *
 * The API key never appears on the instance: not as a property, not in
 * `JSON.stringify` or `inspect` output.
 *
 * @example Kill a PTY at scope exit
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const tensorlake = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * console.log(pty.sessionId);
 * ```
 */
export class Tensorlake {
  readonly #options: NormalizedOptions;
  readonly #sandboxes = new Map<string, TensorlakeSandbox>();

  /**
   * Creates the client. The API key defaults to the `TENSORLAKE_API_KEY`
   * environment variable; the proxy to `TENSORLAKE_SANDBOX_PROXY_URL`, then
   * one derived from `TENSORLAKE_API_URL`, else each sandbox's own host
   * `https://{id}.sandbox.tensorlake.ai` (see `TensorlakeClientOptions.proxyUrl`).
   */
  constructor(options: TensorlakeOptions = {}) {
    for (const key of ["sandbox", "sandboxUrl", "baseUrl"]) {
      if (typeof options === "object" && options !== null && key in options) {
        throw new InvalidArgumentError(
          `options.${key}`,
          undefined,
          "is per sandbox: pass it to tensorlake.sandbox(id, { sandboxUrl })" +
            (key === "baseUrl"
              ? "; did you mean `proxyUrl` (a sandbox proxy used as given, e.g. an emulator's URL)?"
              : ""),
          { secret: true },
        );
      }
    }
    this.#options = normalizeClientOptions({ ...options }, TENSORLAKE_OPTION_KEYS);
  }

  /**
   * A handle on one sandbox, by id or name (a DNS label), reached at the
   * `sandboxUrl` the lifecycle API returned for it when given, else under
   * the sandbox proxy (see `TensorlakeClientOptions.sandboxUrl`, `proxyUrl`).
   * A URL instead of an id is used as given, naming no sandbox. Sends
   * nothing; the same arguments return the same handle (sharing its rate
   * limiter).
   *
   * @example Route through the lifecycle API's `sandbox_url`
   * ```ts
   * import { Tensorlake } from "@sandgate/sdk";
   *
   * const tensorlake = new Tensorlake({ apiKey: "tl_apiKey_demo" });
   * // What GET /sandboxes/{id} of Tensorlake's lifecycle API answered (it can be regional).
   * const sandbox = tensorlake.sandbox("sbx-1", {
   *   sandboxUrl: "https://sbx-1.sandbox.gcp-use4.tensorlake.ai",
   * });
   * console.log(sandbox.id); // sbx-1
   * ```
   */
  sandbox(id: string, options?: TensorlakeSandboxOptions): TensorlakeSandbox {
    assertSandboxRef(id);
    assertOptionsObject("options", options, ["sandboxUrl"]);
    const sandboxUrl = options?.sandboxUrl;
    if (sandboxUrl !== undefined) {
      const invalid = (rule: string) => new InvalidArgumentError("sandboxUrl", sandboxUrl, rule);
      if (typeof sandboxUrl !== "string") throw invalid("must be a string");
      parseSecureUrl(sandboxUrl, invalid);
      if (id.includes("://")) throw invalid("needs the sandbox's id as the first argument");
    }
    const key = sandboxUrl === undefined ? id : `${id}\u0000${sandboxUrl}`;
    const cached = this.#sandboxes.get(key);
    if (cached) {
      // Refresh its place so the cache evicts the least recently used handle.
      this.#sandboxes.delete(key);
      this.#sandboxes.set(key, cached);
      return cached;
    }
    const pipeline = tensorlakePipeline(this.#options, id, sandboxUrl);
    const given = this.#options.given as TensorlakeOptions;
    const handle = new SandboxHandle(id, pipeline, {
      baseUrl: pipeline.baseUrl,
      webSocket: given.webSocket,
    });
    this.#sandboxes.set(key, handle);
    // Bounded: a process touching many sandboxes keeps only recent handles (an
    // evicted handle keeps working; the rate-limit budget lives in the shared store).
    if (this.#sandboxes.size > MAX_CACHED_SANDBOXES) {
      this.#sandboxes.delete(this.#sandboxes.keys().next().value!);
    }
    return handle;
  }
}

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

/** The keys of {@link CreatePtyOptions}. */
const CREATE_PTY_KEYS = ["command", "args", "env", "workingDir", "rows", "cols"];
/** The keys of {@link AttachOptions}. */
const ATTACH_KEYS = ["signal", "timeoutMs", "maxBufferedBytes"];

/** How a sandbox handle reaches the PTY WebSocket. */
interface AttachContext {
  baseUrl: string;
  webSocket: TensorlakeClientOptions["webSocket"];
}

/** The {@link TensorlakeSandbox} implementation. */
class SandboxHandle implements TensorlakeSandbox {
  readonly id: string;
  readonly client: TensorlakeClient;
  readonly #pipeline: Pipeline;
  readonly #attach: AttachContext;

  constructor(id: string, pipeline: Pipeline, attach: AttachContext) {
    this.id = id;
    this.client = createGatewayClient(pipeline);
    this.#pipeline = pipeline;
    this.#attach = attach;
  }

  /** The {@link InvokeContext} of one call: the operation is named here, once. */
  #context(operation: string, callOptions: CallOptions | undefined): InvokeContext {
    return { pipeline: this.#pipeline, operation, callOptions };
  }

  async createPty(options: CreatePtyOptions, callOptions?: CallOptions): Promise<Pty> {
    assertRequiredOptions("options", options, CREATE_PTY_KEYS, "{ command, ... }");
    // Each input is read once, and arrays copied before they are checked: a getter
    // or Proxy cannot hand the check one value and the request another.
    const { command, workingDir, rows, cols } = options;
    const args = Array.isArray(options.args) ? Array.from(options.args) : options.args;
    assertText("command", command);
    assertArgs(args);
    const env = normalizeEnv(options.env);
    if (workingDir !== undefined) assertText("workingDir", workingDir);
    if (rows !== undefined) assertDimension("rows", rows);
    if (cols !== undefined) assertDimension("cols", cols);
    assertCallOptions(callOptions);
    const body = {
      command,
      ...(args === undefined ? {} : { args }),
      ...(env === undefined ? {} : { env }),
      ...(workingDir === undefined ? {} : { working_dir: workingDir }),
      ...(rows === undefined ? {} : { rows }),
      ...(cols === undefined ? {} : { cols }),
    };
    const created = await invokeChecked(
      (init) => this.client.POST(PTY, { body, ...init }),
      this.#context("createPty", callOptions),
      {
        shape: CREATE_PTY_SHAPE,
        created: { kind: TENSORLAKE_HANDLES.pty, remove: (id) => this.killPty(id) },
      },
    );
    return new PtyHandle(created.session_id, created.token, {
      kill: (id, opts) => this.killPty(id, opts),
      resize: (id, size, opts) => this.resizePty(id, size, opts),
      info: (id, opts) => this.getPty(id, opts),
      attach: (id, token, opts) => this.attachPty(id, token, opts),
    });
  }

  async attachPty(
    sessionId: string,
    token: string,
    options?: AttachOptions,
  ): Promise<PtyConnection> {
    return await this.#connect(sessionId, token, options);
  }

  async openPty(options: CreatePtyOptions & AttachOptions): Promise<PtyConnection> {
    const keys = [...CREATE_PTY_KEYS, ...ATTACH_KEYS];
    assertRequiredOptions("options", options, keys, "{ command, ... }");
    const { signal, timeoutMs, maxBufferedBytes, ...create } = options;
    const attach = {
      ...(signal === undefined ? {} : { signal }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
    };
    assertAttachOptions(attach);
    const pty = await this.createPty(create, {
      ...(signal === undefined ? {} : { signal }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    try {
      return await this.#connect(pty.sessionId, pty.token, attach, () => pty.kill());
    } catch (error) {
      await pty.kill().catch(() => {});
      throw error;
    }
  }

  async #connect(
    sessionId: string,
    token: string,
    options: AttachOptions | undefined,
    onDispose?: () => Promise<unknown>,
  ): Promise<PtyConnection> {
    assertPathId("sessionId", sessionId);
    assertText("token", token, { secret: true });
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new InvalidArgumentError("token", token, "must be printable ASCII without spaces", {
        secret: true,
      });
    }
    assertAttachOptions(options);
    // The client's pipeline opens the upgrade (Pipeline.openWebSocket): the headers that name
    // the sandbox, as for the REST calls (tensorlakeai/tensorlake@cab3838 typescript/src/sandbox.ts
    // `wsHeaders`, crates/cli/src/commands/sbx/ssh.rs `build_ws_headers`; runtimes whose
    // WebSocket cannot send headers, browsers, reach only a sandbox's own URL), the bearer when
    // there is a key (the PTY token alone authorizes the WebSocket), events, the client's clock.
    return await connectPty({
      baseUrl: this.#attach.baseUrl,
      sessionId,
      token,
      open: this.#open,
      ...(options ? { options } : {}),
      diagnose: () =>
        diagnoseHandshake(
          sessionId,
          () => this.getPty(sessionId, options?.signal ? { signal: options.signal } : undefined),
        ),
      ...(onDispose ? { onDispose } : {}),
    });
  }

  async forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    assertRemotePort(remotePort, 1, 65535);
    const settings = forwardSettings(options);
    const listen = await tcpListener("forward");
    return await startForward({
      listen,
      settings,
      remotePort,
      prepare: () =>
        Promise.resolve({
          open: (signal) =>
            openTunnel(this.#tunnel(), remotePort, {
              operation: "forward",
              signal,
              maxBufferedBytes: settings.maxBufferedBytes,
            }),
          release: () => Promise.resolve(),
        }),
    });
  }

  async connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    assertRemotePort(remotePort, 1, 65535);
    assertConnectOptions(options);
    return await openTunnel(this.#tunnel(), remotePort, {
      operation: "connect",
      signal: options?.signal,
      timeoutMs: options?.timeoutMs,
      maxBufferedBytes: options?.maxBufferedBytes,
    });
  }

  /** The tunnel's handshake: through the client's pipeline, as the PTY upgrade's. */
  #tunnel(): TunnelContext {
    return { baseUrl: this.#attach.baseUrl, open: this.#open };
  }

  /** Opens a WebSocket through the client's pipeline, with the client's `webSocket`. */
  readonly #open: ChannelOpener = (request) =>
    this.#pipeline.openWebSocket({ ...request, webSocket: this.#attach.webSocket });

  async listPtys(callOptions?: CallOptions): Promise<ListedPty[]> {
    assertCallOptions(callOptions);
    const list = await invokeChecked<ListPtyResponse>(
      (init) => this.client.GET(PTY, init),
      this.#context("listPtys", callOptions),
      { shape: { sessions: { list: PTY_INFO_SHAPE } } },
    );
    return list.sessions.map((body) =>
      toListedPty(toPtyInfo(body), (id, options) => this.killPty(id, options))
    );
  }

  async getPty(sessionId: string, callOptions?: CallOptions): Promise<PtyInfo> {
    assertPathId("sessionId", sessionId);
    assertCallOptions(callOptions);
    return toPtyInfo(
      await invokeChecked(
        (init) =>
          this.client.GET(`${PTY}/{session_id}`, {
            params: { path: { session_id: sessionId } },
            ...init,
          }),
        this.#context("getPty", callOptions),
        { shape: PTY_INFO_SHAPE },
      ),
    );
  }

  async resizePty(sessionId: string, size: PtySize, callOptions?: CallOptions): Promise<void> {
    assertPathId("sessionId", sessionId);
    assertRequiredOptions("size", size, ["rows", "cols"], "{ rows, cols }");
    assertDimension("rows", size.rows);
    assertDimension("cols", size.cols);
    assertCallOptions(callOptions);
    await invoke(
      (init) =>
        this.client.POST(`${PTY}/{session_id}/resize`, {
          params: { path: { session_id: sessionId } },
          body: { rows: size.rows, cols: size.cols },
          ...init,
        }),
      this.#context("resizePty", callOptions),
    );
  }

  async killPty(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    const kind = TENSORLAKE_HANDLES.pty;
    return await cleanup(kind, sessionId, options, () =>
      invoke(
        (init) =>
          this.client.DELETE(`${PTY}/{session_id}`, {
            params: { path: { session_id: sessionId } },
            ...init,
          }),
        this.#context(kind.cleanup, options),
      ));
  }
}
