/**
 * The high-level Prime Intellect API: {@link PrimeIntellect} and its
 * per-sandbox {@link PrimeIntellectSandbox} handles.
 *
 * @module
 */
import { InvalidArgumentError, UnexpectedResponseError } from "../errors.ts";
import { cleanup, type CleanupOptions, type CleanupResult, type HandleKind } from "../handle.ts";
import { PRIME_INTELLECT_HANDLES } from "./handles.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { assertClientOptions, type CallOptions, USER_AGENT } from "../options.ts";
import {
  type ClientResult,
  type Expected,
  invoke,
  invokeChecked,
  type InvokeContext,
} from "../request.ts";
import { createTransport, type ProviderProfile } from "../transport.ts";
import type { ListExposedPortsResponse, SandboxResponse } from "../types.ts";
import {
  assertCallOptions,
  assertExposureName,
  assertOptionsObject,
  assertPathId,
  assertPort,
  assertTtlSeconds,
  normalizeProtocol,
  normalizePublicKey,
  parseSecureUrl,
} from "../validate.ts";
import {
  createPrimeIntellectClient,
  PRIME_INTELLECT_OPTION_KEYS,
  PRIME_INTELLECT_PROFILE,
  type PrimeIntellectClient,
  type PrimeIntellectClientOptions,
} from "./client.ts";
import {
  EXPOSE_PORT_SHAPE,
  EXPOSED_PORT_INFO_SHAPE,
  type ExposePortOptions,
  type Exposure,
  ExposureHandle,
  type ExposureInfo,
  toExposureInfo,
  UNEXPOSE_SHAPE,
} from "./exposure.ts";
import {
  authorizeUrl,
  type CreateSshSessionOptions,
  SSH_SESSION_SHAPE,
  type SshSession,
  SshSessionHandle,
  toSshSessionInfo,
} from "./ssh.ts";

const SANDBOX = "/api/v1/sandbox/{sandbox_id}";
const PROVIDER = "primeintellect";
const { exposure: EXPOSURE, sshSession: SSH_SESSION } = PRIME_INTELLECT_HANDLES;

/** The answer of both exposure listings. */
const LIST_EXPOSURES: Expected<ListExposedPortsResponse> = {
  shape: { exposures: { list: EXPOSED_PORT_INFO_SHAPE } },
};

/** The {@link InvokeContext} of one call: the operation is named here, once. */
function context(
  internals: Internals,
  operation: string,
  callOptions: CallOptions | undefined,
): InvokeContext {
  return { provider: PROVIDER, operation, clock: internals.clock, callOptions };
}

/** The shared state of a {@link PrimeIntellect} instance, kept off its public surface. */
interface Internals {
  client: PrimeIntellectClient;
  clock: Clock;
  /** The client's options, for the gateway pipeline `authorizeKey` builds per session. */
  options: PrimeIntellectClientOptions;
  /** Which sandboxes are VM-backed, once looked up (it never changes for a sandbox). */
  vm: Map<string, boolean>;
  /** Lookups under way: concurrent first calls on a sandbox share one request. */
  vmLookups: Map<string, Promise<boolean>>;
}

/** At most this many sandboxes' `vm` are remembered per client (oldest forgotten first). */
const VM_CACHE_SIZE = 1024;

/**
 * The Prime Intellect sandbox gateway, the easy way: pick a sandbox, then
 * expose ports and open SSH sessions on it. Auth, rate limiting, retries,
 * timeouts and typed errors come from the low-level client, available as
 * {@link PrimeIntellect.client} for anything this class does not cover.
 *
 * The API key never appears on the instance: not as a property, not in
 * `JSON.stringify` or `inspect` output.
 *
 * @example Expose a port and print its URL
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using exposure = await prime.sandbox("sb-1").exposePort({ port: 8000 });
 * console.log(exposure.url);
 * ```
 */
export class PrimeIntellect {
  /** The typed low-level openapi-fetch client this instance sends with. */
  readonly client: PrimeIntellectClient;
  readonly #internals: Internals;

  /**
   * Creates the client. Options are those of `createPrimeIntellectClient`;
   * the API key defaults to the `PRIME_API_KEY` environment variable.
   */
  constructor(options: PrimeIntellectClientOptions = {}) {
    assertOptionsObject("options", options);
    assertClientOptions(options, PRIME_INTELLECT_OPTION_KEYS);
    this.client = createPrimeIntellectClient(options);
    this.#internals = {
      client: this.client,
      clock: options.clock ?? systemClock,
      options,
      vm: new Map(),
      vmLookups: new Map(),
    };
  }

  /**
   * A handle on one sandbox. Sends nothing; throws `InvalidArgumentError`
   * when `id` cannot be used in a URL path.
   */
  sandbox(id: string): PrimeIntellectSandbox {
    assertPathId("sandboxId", id);
    return new SandboxHandle(id, this.#internals);
  }

  /**
   * Lists every exposed port across the caller's sandboxes
   * (`GET /api/v1/sandbox/expose/all`; 60 requests per 60 s per token).
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
   * await using _web = await prime.sandbox("sb-1").exposePort({ port: 8000 });
   * await using _db = await prime.sandbox("sb-2").exposePort({ port: 5432, protocol: "tcp" });
   * for (const e of await prime.listAllExposures()) console.log(e.sandboxId, e.port);
   * ```
   */
  async listAllExposures(callOptions?: CallOptions): Promise<ExposureInfo[]> {
    assertCallOptions(callOptions);
    const { client } = this.#internals;
    const list = await invokeChecked(
      (init) => client.GET("/api/v1/sandbox/expose/all", init),
      context(this.#internals, "listAllExposures", callOptions),
      LIST_EXPOSURES,
    );
    return list.exposures.map((body) => toExposureInfo(body));
  }
}

/**
 * One Prime Intellect sandbox: its exposed ports and SSH sessions. Get it
 * from {@link PrimeIntellect.sandbox}.
 *
 * Every method checks its arguments before sending anything (an
 * `InvalidArgumentError` names the field and the rule), accepts per-call
 * `{ signal, timeoutMs }` last, and throws typed `ApiError`s.
 *
 * @example Open an SSH session and print the ssh command
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("sb-1");
 * await using session = await sandbox.createSshSession({ ttlSeconds: 600 });
 * await session.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
 * console.log(session.sshCommand({ identityFile: "~/.ssh/id_ed25519" }).command);
 * ```
 */
export interface PrimeIntellectSandbox {
  /** The sandbox id. */
  readonly id: string;
  /**
   * Looks the sandbox up (`GET /api/v1/sandbox/{sandbox_id}`, 300 requests per 60 s):
   * its `status` and whether it is a VM. Prime's own CLI does this before `ssh`
   * (and refuses unless `RUNNING`); sandgate does it once per sandbox and client
   * before the first port or SSH call, to refuse VM sandboxes as Prime's SDK does.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const emulator = createEmulator({ sandboxes: [{ id: "sb-1", status: "PENDING" }] });
   * const info = await new PrimeIntellect({ apiKey: "demo", fetch: emulator.fetch })
   *   .sandbox("sb-1").info();
   * console.log(info.status, info.vm); // PENDING false
   * ```
   */
  info(callOptions?: CallOptions): Promise<PrimeSandboxInfo>;
  /**
   * Exposes a port of the sandbox and returns the {@link Exposure}, with its
   * public `url`. `await using` unexposes it at scope exit.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
   * await using exposure = await prime.sandbox("sb-1").exposePort({
   *   port: 5432,
   *   name: "db",
   *   protocol: "tcp",
   * });
   * console.log(exposure.protocol, exposure.externalEndpoint); // TCP host:port
   * ```
   */
  exposePort(options: ExposePortOptions, callOptions?: CallOptions): Promise<Exposure>;

  /**
   * Unexposes a port by exposure id. Resolves `{ alreadyGone: true }` when it
   * was already gone (404), unless `{ strict: true }` asks for a `NotFoundError`.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * const { exposureId } = await sandbox.exposePort({ port: 3000 });
   * console.log(await sandbox.unexposePort(exposureId)); // { alreadyGone: false }
   * console.log(await sandbox.unexposePort(exposureId)); // { alreadyGone: true }
   * ```
   */
  unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult>;

  /**
   * Lists the sandbox's exposed ports (SSH sessions' TCP exposures included),
   * each an {@link Exposure} that can be unexposed directly.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * await sandbox.exposePort({ port: 8000, name: "web" });
   * for (const exposure of await sandbox.listExposures()) {
   *   console.log(exposure.name, exposure.url);
   *   await exposure.unexpose();
   * }
   * ```
   */
  listExposures(callOptions?: CallOptions): Promise<Exposure[]>;

  /**
   * Opens an SSH session (no sshd needed in the sandbox). Next: authorize a
   * public key with {@link SshSession.authorizeKey}, then run
   * {@link SshSession.sshCommand}. `await using` closes it at scope exit.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * await using session = await sandbox.createSshSession({ ttlSeconds: 300 });
   * console.log(session.sessionId, session.expiresAt.toISOString());
   * ```
   */
  createSshSession(
    options?: CreateSshSessionOptions,
    callOptions?: CallOptions,
  ): Promise<SshSession>;

  /**
   * Closes an SSH session by id (removing its TCP exposure). Resolves
   * `{ alreadyGone: true }` on a 404 unless `{ strict: true }`.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * const { sessionId } = await sandbox.createSshSession();
   * console.log(await sandbox.closeSshSession(sessionId)); // { alreadyGone: false }
   * ```
   */
  closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult>;
}

/**
 * What {@link PrimeIntellectSandbox.info} reports: the fields of Prime's sandbox
 * model that sandgate acts on (PrimeIntellect-ai/prime `models.py`@66fb4b7, `Sandbox`).
 *
 * @example
 * ```ts
 * import type { PrimeSandboxInfo } from "@sandgate/sdk";
 * const info: PrimeSandboxInfo = { id: "sb-1", status: "RUNNING", vm: false };
 * console.log(info.status === "RUNNING" && !info.vm);
 * ```
 */
export interface PrimeSandboxInfo {
  /** The sandbox id. */
  readonly id: string;
  /**
   * `PENDING`, `PROVISIONING`, `RUNNING`, `PAUSED`, `ERROR`, `TERMINATED`
   * (https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint), `TIMEOUT`
   * (their `SandboxStatus`), any other string the API sends, or `null` when it sent none.
   */
  readonly status: string | null;
  /** Whether it is VM-backed (`vm`, `false` when absent, as in their model). */
  readonly vm: boolean;
}

/** The fields of `SandboxResponse` sandgate reads. */
const SANDBOX_INFO: Expected<Pick<SandboxResponse, "status" | "vm">> = {
  // Lenient, like their model's `vm` default: an answer without `status` reads as `null`.
  shape: { status: "string?", vm: "boolean?" },
};

/** The {@link PrimeIntellectSandbox} implementation. */
class SandboxHandle implements PrimeIntellectSandbox {
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
    assertOptionsObject("options", options, ["port", "name", "protocol"]);
    if (options === undefined) {
      throw new InvalidArgumentError("options", options, "must be { port, name?, protocol? }");
    }
    // Each input is read once: a getter cannot hand the check one value and the request another.
    const { port, name } = options;
    assertPort(port);
    assertExposureName(name);
    const protocol = normalizeProtocol(options.protocol);
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
        created: { kind: EXPOSURE, remove: (id) => this.unexposePort(id) },
      },
    );
    // An answer without `protocol` (optional in Prime's models) reports the one asked for.
    return this.#exposure(toExposureInfo(checked, protocol ?? "HTTP"));
  }

  #exposure(fields: ExposureInfo): Exposure {
    return new ExposureHandle(fields, (opts) => this.unexposePort(fields.exposureId, opts));
  }

  async unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return await this.#remove(EXPOSURE, exposureId, options);
  }

  /** Unexposes a port or closes an SSH session by id: both are answered `{ success, message }`. */
  #remove(
    kind: HandleKind,
    id: string,
    options: CleanupOptions | undefined,
  ): Promise<CleanupResult> {
    const { client } = this.#internals;
    const call = kind === EXPOSURE
      ? (init: { signal?: AbortSignal }) =>
        client.DELETE(`${SANDBOX}/expose/{exposure_id}`, {
          params: { path: { sandbox_id: this.id, exposure_id: id } },
          ...init,
        })
      : (init: { signal?: AbortSignal }) =>
        client.DELETE(`${SANDBOX}/ssh-session/{session_id}`, {
          params: { path: { sandbox_id: this.id, session_id: id } },
          ...init,
        });
    const expected = { shape: UNEXPOSE_SHAPE };
    return cleanup(kind, id, options, async () => {
      await this.#refuseVm(kind === EXPOSURE ? "port unexpose" : "SSH", options);
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
          kind: SSH_SESSION,
          remove: (id) => this.closeSshSession(id),
        },
      },
    );
    return new SshSessionHandle(toSshSessionInfo(body), body.token, {
      close: (sessionId, opts) => this.closeSshSession(sessionId, opts),
      authorize: (session, publicKey, opts) => this.#authorize(session, publicKey, opts),
    });
  }

  async closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return await this.#remove(SSH_SESSION, sessionId, options);
  }

  /**
   * `POST {gatewayUrl}/{userNs}/{jobId}/authorize` with the session token.
   * The gateway is not the API origin, so this goes straight to the
   * configured `fetch`: the API key is never sent there.
   */
  async #authorize(
    session: SshSessionHandle,
    publicKey: string,
    callOptions?: CallOptions,
  ): Promise<void> {
    const key = normalizePublicKey(publicKey);
    assertCallOptions(callOptions);
    const url = new URL(authorizeUrl(
      session,
      (gateway) =>
        parseSecureUrl(
          gateway,
          (rule) =>
            new UnexpectedResponseError(`Prime Intellect createSshSession: gatewayUrl ${rule}`),
        ),
    ));
    // The same pipeline as every other call (timeout, retries, redirects, network errors),
    // on the gateway's origin with the session token as the bearer, which the auth layer
    // then redacts from every answer and error as it does the API key.
    const { options } = this.#internals;
    const transport = createTransport(gatewayProfile(url.pathname), url.origin, {
      ...options,
      apiKey: session.token,
      rateLimit: false,
    });
    const body = JSON.stringify({
      session_id: session.sessionId,
      public_key: key,
      ttl_seconds: session.ttlSeconds,
    });
    await invoke(async ({ signal }): Promise<ClientResult<never>> => {
      const response = await transport.fetch(
        new Request(url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": USER_AGENT },
          body,
          ...(signal ? { signal } : {}),
        }),
      );
      const text = await response.text();
      return response.ok ? { response } : { error: parseMaybeJson(text), response };
    }, context(this.#internals, "authorizeKey", callOptions));
  }
}

/**
 * The gateway's authorize endpoint as a profile of its own: Prime Intellect's
 * retry policy, no client-side budget (none is documented for the gateway).
 */
function gatewayProfile(pathname: string): ProviderProfile {
  return {
    ...PRIME_INTELLECT_PROFILE,
    operations: { [`POST ${pathname}`]: "authorizeKey" },
    sandboxIdOf: () => "",
    policy: { ...PRIME_INTELLECT_PROFILE.policy, rateLimits: {} },
  };
}

function parseMaybeJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
