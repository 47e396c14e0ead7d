/**
 * The {@link TensorlakeSandbox} implementation: each method checks its
 * arguments, then sends through the sandbox's pipeline (HTTP calls with
 * `invoke`, the PTY WebSocket and the TCP tunnel with `openWebSocket`).
 * `Tensorlake` loads it on the first call (lazy_sandbox.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { cleanup, type CleanupOptions, type CleanupResult } from "../handle.ts";
import { TENSORLAKE_HANDLES } from "./handles.ts";
import type { CallOptions } from "../options.ts";
import type { Pipeline } from "../pipeline.ts";
import { invoke, invokeChecked, type InvokeContext } from "../request.ts";
import type { ListPtyResponse } from "../wire_types.ts";
import { assertCallOptions, assertPathId, assertRequiredOptions, assertText } from "../validate.ts";
import { assertArgs, assertDimension, normalizeEnv } from "./validate.ts";
import { assertAttachOptions, type AttachOptions } from "./attach_options.ts";
import type { PtyConnection } from "./attach.ts";
import { reconnectPolicy } from "./reconnect_policy.ts";
import { assertConnectOptions, assertRemotePort, forwardSettings } from "../forward/options.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import type { TunnelContext } from "./tunnel.ts";
import type { ChannelOpener } from "../websocket/open.ts";
import { type TensorlakeClient, type TensorlakeClientOptions } from "./client.ts";
import {
  CREATE_PTY_SHAPE,
  type CreatePtyOptions,
  type ListedPty,
  type Pty,
  PTY_INFO_SHAPE,
  PtyHandle,
  type PtyInfo,
  type PtyOwner,
  type PtySize,
  toListedPty,
  toPtyInfo,
} from "./pty.ts";

import type { TensorlakeSandbox } from "./sandbox.ts";

const PTY = "/api/v1/pty";

/** The keys of {@link CreatePtyOptions}. */
const CREATE_PTY_KEYS = ["command", "args", "env", "workingDir", "rows", "cols"];
/** The keys of {@link AttachOptions}. */
const ATTACH_KEYS = ["signal", "timeoutMs", "maxBufferedBytes", "reconnect"];

/** How a sandbox handle reaches the PTY WebSocket. */
export interface AttachContext {
  baseUrl: string;
  webSocket: TensorlakeClientOptions["webSocket"];
}

/** The {@link TensorlakeSandbox} implementation. */
export class SandboxHandle implements TensorlakeSandbox, PtyOwner {
  readonly id: string;
  readonly client: TensorlakeClient;
  readonly #pipeline: Pipeline;
  readonly #attach: AttachContext;

  /** `client` sends through `pipeline` (lazy_sandbox.ts made it: the sandbox's one client). */
  constructor(id: string, client: TensorlakeClient, pipeline: Pipeline, attach: AttachContext) {
    this.id = id;
    this.client = client;
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
    return new PtyHandle(created.session_id, created.token, this);
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
    const { signal, timeoutMs, maxBufferedBytes, reconnect, ...create } = options;
    const attach = {
      ...(signal === undefined ? {} : { signal }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
      ...(reconnect === undefined ? {} : { reconnect }),
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
    const policy = reconnectPolicy(options?.reconnect);
    // The attach code (attach.ts and the WebSocket channel under it) loads on first use.
    const { connectPty, connectReconnectingPty, diagnoseHandshake } = await import("./_lazy.ts");
    // The client's pipeline opens the upgrade (Pipeline.openWebSocket): the headers that name
    // the sandbox, as for the REST calls (tensorlakeai/tensorlake@cab3838 typescript/src/sandbox.ts
    // `wsHeaders`, crates/cli/src/commands/sbx/ssh.rs `build_ws_headers`; runtimes whose
    // WebSocket cannot send headers, browsers, reach only a sandbox's own URL), the bearer when
    // there is a key (the PTY token alone authorizes the WebSocket), events, the client's clock.
    const params = {
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
    };
    if (!policy) return await connectPty(params);
    return await connectReconnectingPty({
      ...params,
      policy,
      clock: this.#pipeline.clock,
      emit: this.#pipeline.emit,
      getPty: (call) => this.getPty(sessionId, call),
    });
  }

  /** Arguments are checked here; the tunnel and forwarding code (forward.ts) loads on first use. */
  async forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    assertRemotePort(remotePort, 1, 65535);
    const settings = forwardSettings(options);
    const { tensorlakeForward } = await import("./_lazy.ts");
    return await tensorlakeForward(this.#tunnel(), remotePort, settings);
  }

  async connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    assertRemotePort(remotePort, 1, 65535);
    assertConnectOptions(options);
    const { tensorlakeConnect } = await import("./_lazy.ts");
    return await tensorlakeConnect(this.#tunnel(), remotePort, options);
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
