/**
 * The {@link PrimeIntellectSandbox} implementation: each method checks its
 * arguments, then sends through the client's pipeline (`invoke`; the SSH
 * gateway's authorize with the session token as the call's bearer). It is
 * the owner its handles call back into (`ExposureOwner`, `SshSessionOwner`).
 * `PrimeIntellect` loads it on the first call (lazy_sandbox.ts).
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { cleanup, type CleanupOptions, type CleanupResult, type HandleKind } from "../handle.ts";
import { PRIME_INTELLECT_HANDLES } from "./handles.ts";
import type { NormalizedOptions } from "../normalize.ts";
import { type CallOptions, type FetchLike, USER_AGENT } from "../options.ts";
import type { Pipeline } from "../pipeline.ts";
import {
  assertWaitOptions,
  HTTP_WAIT_OPTION_KEYS,
  WAIT_OPTION_KEYS,
  type WaitUntilReadyOptions,
} from "../readiness/options.ts";
import type { ReadyInfo } from "../readiness/wait.ts";
import { type CallInit, type Expected, invokeChecked, type InvokeContext } from "../request.ts";
import type { ListExposedPortsResponse, SandboxResponse } from "../wire_types.ts";
import { assertCallOptions, assertOptionsObject, assertRequiredOptions } from "../validate.ts";
import { assertExposureName, assertPort, assertTtlSeconds, normalizeProtocol } from "./validate.ts";
import type { PrimeIntellectClient } from "./client.ts";
import {
  EXPOSE_PORT_SHAPE,
  EXPOSED_PORT_INFO_SHAPE,
  type ExposePortOptions,
  type Exposure,
  ExposureHandle,
  type ExposureInfo,
  type ExposureOwner,
  isTcpExposure,
  toExposureInfo,
  UNEXPOSE_SHAPE,
} from "./exposure.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import { assertConnectOptions, assertRemotePort, forwardSettings } from "../forward/options.ts";
import {
  type CreateSshSessionOptions,
  SSH_SESSION_SHAPE,
  type SshSession,
  SshSessionHandle,
  type SshSessionOwner,
  sshTarget,
  toSshSessionInfo,
} from "./ssh.ts";
import { authorizeSshKey } from "./ssh_authorize.ts";

import type { PrimeIntellectSandbox, PrimeSandboxInfo } from "./sandbox.ts";

const SANDBOX = "/api/v1/sandbox/{sandbox_id}";
/** Ports Prime Intellect exposes (seed 004: 22–9000), checked before forward() or connect(). */
const MIN_PORT = 22;
const MAX_PORT = 9000;

/** The answer of both exposure listings. */
export const LIST_EXPOSURES: Expected<ListExposedPortsResponse> = {
  shape: { exposures: { list: EXPOSED_PORT_INFO_SHAPE } },
};

/** The {@link InvokeContext} of one call: the operation is named here, once. */
export function context(
  internals: Internals,
  operation: string,
  callOptions: CallOptions | undefined,
): InvokeContext {
  return { pipeline: internals.pipeline, operation, callOptions };
}

/** The shared state of a {@link PrimeIntellect} instance, kept off its public surface. */
export interface Internals {
  client: PrimeIntellectClient;
  /** The client's one pipeline: `client` sends through it, and so does `authorizeKey`. */
  pipeline: Pipeline;
  /** The client's options, normalized once: events and the caller's `fetch` for readiness. */
  options: NormalizedOptions;
  /** Which sandboxes are VM-backed, once looked up (it never changes for a sandbox). */
  vm: Map<string, boolean>;
  /** Lookups under way: concurrent first calls on a sandbox share one request. */
  vmLookups: Map<string, Promise<boolean>>;
}

/** At most this many sandboxes' `vm` are remembered per client (oldest forgotten first). */
const VM_CACHE_SIZE = 1024;

/** The fields of `SandboxResponse` sandgate reads. */
const SANDBOX_INFO: Expected<Pick<SandboxResponse, "status" | "vm">> = {
  // Lenient, like their model's `vm` default: an answer without `status` reads as `null`.
  shape: { status: "string?", vm: "boolean?" },
};

/** `PrimeIntellect.listAllExposures()`: every exposed port across the caller's sandboxes. */
export async function listAllExposures(
  internals: Internals,
  callOptions: CallOptions | undefined,
): Promise<ExposureInfo[]> {
  assertCallOptions(callOptions);
  const list = await invokeChecked(
    (init) => internals.client.GET("/api/v1/sandbox/expose/all", init),
    context(internals, "listAllExposures", callOptions),
    LIST_EXPOSURES,
  );
  return list.exposures.map((body) => toExposureInfo(body));
}

/** The {@link PrimeIntellectSandbox} implementation. */
export class SandboxHandle implements PrimeIntellectSandbox, ExposureOwner, SshSessionOwner {
  readonly id: string;
  readonly #internals: Internals;

  constructor(id: string, internals: Internals) {
    this.id = id;
    this.#internals = internals;
  }

  async info(callOptions?: CallOptions): Promise<PrimeSandboxInfo> {
    assertCallOptions(callOptions);
    const { client, vm: cache } = this.#internals;
    const body = await invokeChecked(
      (init) => client.GET(SANDBOX, { params: { path: { sandbox_id: this.id } }, ...init }),
      context(this.#internals, "getSandbox", callOptions),
      SANDBOX_INFO,
    );
    const info = { id: this.id, status: body.status ?? null, vm: body.vm === true };
    cache.delete(this.id);
    cache.set(this.id, info.vm);
    if (cache.size > VM_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return info;
  }

  /**
   * Refuses `feature` on a VM sandbox before sending it, as Prime's SDK does
   * (PrimeIntellect-ai/prime `packages/prime-sandboxes/src/prime_sandboxes/sandbox.py`@66fb4b7,
   * `_guard_vm_unsupported`: expose, unexpose, list, SSH create/close). The lookup is
   * remembered per client, as their `SandboxAuthCache.is_vm` remembers it.
   */
  async #refuseVm(feature: string, callOptions: CallOptions | undefined): Promise<void> {
    const vm = this.#internals.vm.get(this.id) ?? await this.#lookUpVm(callOptions);
    if (vm) {
      throw new InvalidArgumentError(
        "sandboxId",
        this.id,
        `is a VM sandbox: Prime Intellect does not support ${feature} on VM sandboxes yet`,
      );
    }
  }

  /**
   * One lookup for concurrent first calls (a burst must not send one per call): it runs
   * with the first caller's `timeoutMs`; each caller stops waiting on its own `signal`.
   */
  #lookUpVm(callOptions: CallOptions | undefined): Promise<boolean> {
    const { vmLookups } = this.#internals;
    let shared = vmLookups.get(this.id);
    if (!shared) {
      const timeoutMs = callOptions?.timeoutMs;
      shared = this.info(timeoutMs === undefined ? undefined : { timeoutMs })
        .then((info) => info.vm)
        .finally(() => vmLookups.delete(this.id));
      shared.catch(() => {}); // a caller that stopped waiting leaves it unobserved
      vmLookups.set(this.id, shared);
    }
    const signal = callOptions?.signal;
    if (!signal) return shared;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const stop = () => reject(signal.reason);
      signal.addEventListener("abort", stop, { once: true });
      shared.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
    });
  }

  async exposePort(options: ExposePortOptions, callOptions?: CallOptions): Promise<Exposure> {
    const keys = ["port", "name", "protocol", "waitUntilReady"];
    assertRequiredOptions("options", options, keys, "{ port, name?, protocol? }");
    // Each input is read once: a getter cannot hand the check one value and the request another.
    const { port, name, waitUntilReady: wait } = options;
    assertPort(port);
    assertExposureName(name);
    const protocol = normalizeProtocol(options.protocol);
    if (wait !== undefined && typeof wait !== "boolean") {
      assertWaitOptions(
        "options.waitUntilReady",
        wait,
        protocol === "TCP" ? WAIT_OPTION_KEYS : HTTP_WAIT_OPTION_KEYS,
      );
    }
    assertCallOptions(callOptions);
    const body = {
      port,
      ...(name === undefined || name === null ? {} : { name }),
      ...(protocol === undefined ? {} : { protocol }),
    };
    await this.#refuseVm("port exposure", callOptions);
    const { client } = this.#internals;
    const checked = await invokeChecked(
      (init) =>
        client.POST(`${SANDBOX}/expose`, {
          params: { path: { sandbox_id: this.id } },
          body,
          ...init,
        }),
      context(this.#internals, "exposePort", callOptions),
      {
        shape: EXPOSE_PORT_SHAPE,
        created: { kind: PRIME_INTELLECT_HANDLES.exposure, remove: (id) => this.unexposePort(id) },
      },
    );
    // An answer without `protocol` (optional in Prime's models) reports the one asked for.
    const exposure = this.#exposure(toExposureInfo(checked, protocol ?? "HTTP"));
    if (wait === undefined || wait === false) return exposure;
    try {
      await exposure.waitUntilReady(wait === true ? {} : wait);
    } catch (error) {
      // Nothing is left behind: the caller never gets this handle. Not with the caller's
      // signal (it may be why the wait ended), and a failed unexpose leaves the wait's error.
      await exposure.unexpose({ timeoutMs: 10_000 }).catch(() => {});
      throw error;
    }
    return exposure;
  }

  #exposure(fields: ExposureInfo): Exposure {
    return new ExposureHandle(fields, this);
  }

  /**
   * For {@link ExposureHandle}: `exposure.waitUntilReady()`, one probe per protocol, the
   * shared loop (exposure_ready.ts, loaded on first use; the options are checked before).
   */
  async waitUntilExposureReady(
    fields: ExposureInfo,
    options?: WaitUntilReadyOptions,
  ): Promise<ReadyInfo> {
    const tcp = isTcpExposure(fields);
    assertWaitOptions("options", options, tcp ? WAIT_OPTION_KEYS : HTTP_WAIT_OPTION_KEYS);
    const { waitUntilExposureReady } = await import("./_lazy.ts");
    const { pipeline, options: clientOptions } = this.#internals;
    return await waitUntilExposureReady(fields, tcp, options, {
      clock: pipeline.clock,
      emit: clientOptions.emit,
      fetch: clientOptions.given.fetch as FetchLike | undefined,
      userAgent: USER_AGENT,
    });
  }

  async unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return await this.#remove(PRIME_INTELLECT_HANDLES.exposure, exposureId, options);
  }

  /** Unexposes a port or closes an SSH session by id: both are answered `{ success, message }`. */
  #remove(
    kind: HandleKind,
    id: string,
    options: CleanupOptions | undefined,
  ): Promise<CleanupResult> {
    const { client } = this.#internals;
    const call = kind === PRIME_INTELLECT_HANDLES.exposure
      ? (init: CallInit) =>
        client.DELETE(`${SANDBOX}/expose/{exposure_id}`, {
          params: { path: { sandbox_id: this.id, exposure_id: id } },
          ...init,
        })
      : (init: CallInit) =>
        client.DELETE(`${SANDBOX}/ssh-session/{session_id}`, {
          params: { path: { sandbox_id: this.id, session_id: id } },
          ...init,
        });
    const expected = { shape: UNEXPOSE_SHAPE };
    return cleanup(kind, id, options, async () => {
      await this.#refuseVm(
        kind === PRIME_INTELLECT_HANDLES.exposure ? "port unexpose" : "SSH",
        options,
      );
      return await invokeChecked(call, context(this.#internals, kind.cleanup, options), expected);
    });
  }

  async listExposures(callOptions?: CallOptions): Promise<Exposure[]> {
    assertCallOptions(callOptions);
    await this.#refuseVm("port listing", callOptions);
    const { client } = this.#internals;
    const list = await invokeChecked(
      (init) =>
        client.GET(`${SANDBOX}/expose`, { params: { path: { sandbox_id: this.id } }, ...init }),
      context(this.#internals, "listExposures", callOptions),
      LIST_EXPOSURES,
    );
    return list.exposures.map((body) => this.#exposure(toExposureInfo(body)));
  }

  async createSshSession(
    options?: CreateSshSessionOptions,
    callOptions?: CallOptions,
  ): Promise<SshSession> {
    assertOptionsObject("options", options, ["ttlSeconds"]);
    const ttl = options?.ttlSeconds;
    assertTtlSeconds(ttl);
    assertCallOptions(callOptions);
    await this.#refuseVm("SSH", callOptions);
    const { client } = this.#internals;
    const body = await invokeChecked(
      (init) =>
        client.POST(`${SANDBOX}/ssh-session`, {
          params: { path: { sandbox_id: this.id } },
          body: ttl === undefined ? {} : { ttl_seconds: ttl },
          ...init,
        }),
      context(this.#internals, "createSshSession", callOptions),
      {
        shape: SSH_SESSION_SHAPE,
        created: {
          kind: PRIME_INTELLECT_HANDLES.sshSession,
          remove: (id) => this.closeSshSession(id),
        },
      },
    );
    return new SshSessionHandle(toSshSessionInfo(body), body.token, this);
  }

  async closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return await this.#remove(PRIME_INTELLECT_HANDLES.sshSession, sessionId, options);
  }

  /** For {@link SshSessionHandle}: `session.authorizeKey()` (ssh_authorize.ts). */
  authorizeSshKey(
    session: SshSessionHandle,
    publicKey: string,
    callOptions?: CallOptions,
  ): Promise<void> {
    return authorizeSshKey(session, publicKey, callOptions, this.#internals.pipeline);
  }

  /**
   * For {@link SshSessionHandle}: `session.waitUntilReady()` (ssh_ready.ts, loaded on first
   * use; the options are checked before).
   */
  async waitUntilSshReady(
    session: SshSessionHandle,
    options?: WaitUntilReadyOptions,
  ): Promise<ReadyInfo> {
    assertWaitOptions("options", options, WAIT_OPTION_KEYS);
    const target = sshTarget(session);
    const { waitUntilSshReady } = await import("./_lazy.ts");
    const { pipeline, options: clientOptions } = this.#internals;
    return await waitUntilSshReady(session, target, options, {
      clock: pipeline.clock,
      emit: clientOptions.emit,
    });
  }

  /** Arguments are checked here; the forwarding code (forward.ts) loads on first use. */
  async forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    assertRemotePort(remotePort, MIN_PORT, MAX_PORT);
    const settings = forwardSettings(options);
    const { primeForward } = await import("./_lazy.ts");
    return await primeForward(this, remotePort, settings);
  }

  async connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    assertRemotePort(remotePort, MIN_PORT, MAX_PORT);
    assertConnectOptions(options);
    const { primeConnect } = await import("./_lazy.ts");
    return await primeConnect(this, remotePort, options);
  }
}
