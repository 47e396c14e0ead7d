/**
 * What `Tensorlake.sandbox()` returns: the {@link TensorlakeSandbox} whose
 * methods load their implementation (sandbox_handle.ts, with the request
 * path, the PTY handle and their checks) with `import()` on the first call,
 * so a consumer's bundler that splits code fetches it then rather than with
 * `import "sandgate"`. Its low-level `client` is there at once, and every
 * argument is still checked before any request: the implementation checks it
 * first.
 *
 * @module
 */
import type { CleanupOptions, CleanupResult } from "../handle.ts";
import type { CallOptions } from "../options.ts";
import { createGatewayClient, type Pipeline } from "../pipeline.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import type { Clock } from "../util/clock.ts";
import { FirstUse } from "../util/first_use.ts";
import type { AttachOptions, PtyConnection } from "./attach.ts";
import type { TensorlakeClient } from "./client.ts";
import type { CreatePtyOptions, ListedPty, Pty, PtyInfo, PtySize } from "./pty.ts";
import type { TensorlakeSandbox } from "./sandbox.ts";
import type { AttachContext, SandboxHandle } from "./sandbox_handle.ts";

/** The implementation module, loaded once per program. */
const implementation = /* @__PURE__ */ new FirstUse(() => import("./sandbox_handle.ts"));

/** One sandbox of a `Tensorlake` client; see {@link TensorlakeSandbox}. */
export class LazySandbox implements TensorlakeSandbox {
  readonly id: string;
  readonly client: TensorlakeClient;
  readonly #handle: FirstUse<SandboxHandle>;
  readonly #clock: Clock;

  constructor(id: string, pipeline: Pipeline, attach: AttachContext) {
    this.id = id;
    const client: TensorlakeClient = createGatewayClient(pipeline);
    this.client = client;
    this.#clock = pipeline.clock;
    this.#handle = new FirstUse(() =>
      implementation.get().then(({ SandboxHandle }) =>
        new SandboxHandle(id, client, pipeline, attach)
      )
    );
  }

  #call<R>(use: (handle: SandboxHandle) => Promise<R>): Promise<R> {
    return this.#handle.use(use, this.#clock);
  }

  createPty(options: CreatePtyOptions, callOptions?: CallOptions): Promise<Pty> {
    return this.#call((handle) => handle.createPty(options, callOptions));
  }

  listPtys(callOptions?: CallOptions): Promise<ListedPty[]> {
    return this.#call((handle) => handle.listPtys(callOptions));
  }

  getPty(sessionId: string, callOptions?: CallOptions): Promise<PtyInfo> {
    return this.#call((handle) => handle.getPty(sessionId, callOptions));
  }

  resizePty(sessionId: string, size: PtySize, callOptions?: CallOptions): Promise<void> {
    return this.#call((handle) => handle.resizePty(sessionId, size, callOptions));
  }

  killPty(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return this.#call((handle) => handle.killPty(sessionId, options));
  }

  attachPty(sessionId: string, token: string, options?: AttachOptions): Promise<PtyConnection> {
    return this.#call((handle) => handle.attachPty(sessionId, token, options));
  }

  openPty(options: CreatePtyOptions & AttachOptions): Promise<PtyConnection> {
    return this.#call((handle) => handle.openPty(options));
  }

  forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    return this.#call((handle) => handle.forward(remotePort, options));
  }

  connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    return this.#call((handle) => handle.connect(remotePort, options));
  }
}
