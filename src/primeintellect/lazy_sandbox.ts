/**
 * What `PrimeIntellect.sandbox()` returns: the {@link PrimeIntellectSandbox}
 * whose methods load their implementation (sandbox_handle.ts, with the
 * request path, the exposure and SSH handles and their checks) with
 * `import()` on the first call, so a consumer's bundler that splits code
 * fetches it then rather than with `import "sandgate"`. Every argument is
 * still checked before any request: the implementation checks it first.
 *
 * @module
 */
import type { CleanupOptions, CleanupResult } from "../handle.ts";
import type { CallOptions } from "../options.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import type { Clock } from "../util/clock.ts";
import { FirstUse } from "../util/first_use.ts";
import type { ExposePortOptions, Exposure, ExposureInfo } from "./exposure.ts";
import type { PrimeIntellectSandbox, PrimeSandboxInfo } from "./sandbox.ts";
import type { Internals, SandboxHandle } from "./sandbox_handle.ts";
import type { CreateSshSessionOptions, SshSession } from "./ssh.ts";

/** The implementation module, loaded once per program. */
const implementation = /* @__PURE__ */ new FirstUse(() => import("./sandbox_handle.ts"));

/** `GET /api/v1/sandbox/expose/all` for {@link PrimeIntellect.listAllExposures}. */
export async function listAllExposures(
  internals: Internals,
  callOptions: CallOptions | undefined,
): Promise<ExposureInfo[]> {
  const { listAllExposures } = await implementation.get(internals.pipeline.clock);
  return await listAllExposures(internals, callOptions);
}

/** One sandbox of a `PrimeIntellect` client; see {@link PrimeIntellectSandbox}. */
export class LazySandbox implements PrimeIntellectSandbox {
  readonly id: string;
  readonly #handle: FirstUse<SandboxHandle>;
  readonly #clock: Clock;

  constructor(id: string, internals: Internals) {
    this.id = id;
    this.#clock = internals.pipeline.clock;
    this.#handle = new FirstUse(() =>
      implementation.get().then(({ SandboxHandle }) => new SandboxHandle(id, internals))
    );
  }

  #call<R>(use: (handle: SandboxHandle) => Promise<R>): Promise<R> {
    return this.#handle.use(use, this.#clock);
  }

  info(callOptions?: CallOptions): Promise<PrimeSandboxInfo> {
    return this.#call((handle) => handle.info(callOptions));
  }

  exposePort(options: ExposePortOptions, callOptions?: CallOptions): Promise<Exposure> {
    return this.#call((handle) => handle.exposePort(options, callOptions));
  }

  unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return this.#call((handle) => handle.unexposePort(exposureId, options));
  }

  listExposures(callOptions?: CallOptions): Promise<Exposure[]> {
    return this.#call((handle) => handle.listExposures(callOptions));
  }

  createSshSession(
    options?: CreateSshSessionOptions,
    callOptions?: CallOptions,
  ): Promise<SshSession> {
    return this.#call((handle) => handle.createSshSession(options, callOptions));
  }

  closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return this.#call((handle) => handle.closeSshSession(sessionId, options));
  }

  forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    return this.#call((handle) => handle.forward(remotePort, options));
  }

  connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    return this.#call((handle) => handle.connect(remotePort, options));
  }
}
