/**
 * The high-level Prime Intellect API: {@link PrimeIntellect} and its
 * per-sandbox {@link PrimeIntellectSandbox} handles.
 *
 * @module
 */
import { InvalidArgumentError, UnexpectedResponseError } from "../errors.ts";
import { cleanup, type CleanupOptions, type CleanupResult, type HandleKind } from "../handle.ts";
import { PRIME_INTELLECT_HANDLES } from "./handles.ts";
import { normalizeClientOptions, type NormalizedOptions } from "../normalize.ts";
import { type CallOptions, type FetchLike, USER_AGENT } from "../options.ts";
import { createGatewayClient, type Pipeline } from "../pipeline.ts";
import { httpProbe } from "../readiness/http_probe.ts";
import { tcpProbe } from "../readiness/tcp_probe.ts";
import { tcpConnector } from "../forward/tcp.ts";
import {
  assertWaitOptions,
  HTTP_WAIT_OPTION_KEYS,
  type ReadyInfo,
  WAIT_OPTION_KEYS,
  waitUntilReady,
  type WaitUntilReadyOptions,
} from "../readiness/wait.ts";
import {
  type CallInit,
  type ClientResult,
  type Expected,
  invoke,
  invokeChecked,
  type InvokeContext,
} from "../request.ts";
import type { ListExposedPortsResponse, SandboxResponse } from "../wire_types.ts";
import {
  assertCallOptions,
  assertOptionsObject,
  assertPathId,
  assertRequiredOptions,
  parseSecureUrl,
} from "../validate.ts";
import {
  assertExposureName,
  assertPort,
  assertTtlSeconds,
  normalizeProtocol,
  normalizePublicKey,
} from "./validate.ts";
import {
  PRIME_INTELLECT_OPTION_KEYS,
  type PrimeIntellectClient,
  type PrimeIntellectClientOptions,
  primeIntellectPipeline,
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
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import { primeConnect, primeForward } from "./forward.ts";
import {
  authorizeUrl,
  type CreateSshSessionOptions,
  SSH_SESSION_SHAPE,
  type SshSession,
  SshSessionHandle,
  sshTarget,
  toSshSessionInfo,
} from "./ssh.ts";

const SANDBOX = "/api/v1/sandbox/{sandbox_id}";
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
  return { pipeline: internals.pipeline, operation, callOptions };
}

/** The shared state of a {@link PrimeIntellect} instance, kept off its public surface. */
interface Internals {
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
    const normalized = normalizeClientOptions(options, PRIME_INTELLECT_OPTION_KEYS);
    const pipeline = primeIntellectPipeline(normalized);
    this.client = createGatewayClient(pipeline);
    this.#internals = {
      client: this.client,
      pipeline,
      options: normalized,
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

  /**
   * Listens on a local port (Deno, Node, Bun) and relays each connection to
   * `remotePort` inside the sandbox through a TCP exposure: an existing one
   * of that port, else one created now and removed when the forward ends.
   * `await using` stops it.
   *
   * @example
   * ```ts ignore
   * await using forward = await prime.sandbox("sb-1").forward(5432, { localPort: 15432 });
   * console.log(`psql -h ${forward.host} -p ${forward.port}`);
   * ```
   */
  forward(remotePort: number, options?: ForwardOptions): Promise<Forward>;

  /**
   * A duplex byte stream to `remotePort` inside the sandbox, through a TCP
   * exposure as {@link PrimeIntellectSandbox.forward} uses. Needs a raw TCP
   * socket: Deno, Node, Bun or workerd (`cloudflare:sockets`); browsers get
   * an `UnsupportedRuntimeError`.
   *
   * @example
   * ```ts ignore
   * await using connection = await prime.sandbox("sb-1").connect(6379);
   * await connection.writable.getWriter().write(new TextEncoder().encode("PING\r\n"));
   * ```
   */
  connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection>;
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
        created: { kind: EXPOSURE, remove: (id) => this.unexposePort(id) },
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
    return new ExposureHandle(
      fields,
      (opts) => this.unexposePort(fields.exposureId, opts),
      (opts) => this.#waitUntilReady(fields, opts),
    );
  }

  /** `exposure.waitUntilReady()`: one probe per protocol, the shared loop. */
  async #waitUntilReady(
    fields: ExposureInfo,
    options?: WaitUntilReadyOptions,
  ): Promise<ReadyInfo> {
    const tcp = fields.protocol === "TCP" ||
      (fields.protocol === null && fields.externalEndpoint !== null);
    assertWaitOptions("options", options, tcp ? WAIT_OPTION_KEYS : HTTP_WAIT_OPTION_KEYS);
    const { pipeline, options: clientOptions } = this.#internals;
    const context = { clock: pipeline.clock, emit: clientOptions.emit };
    if (tcp) {
      const endpoint = parseEndpoint(fields.externalEndpoint ?? fields.tlsSocket);
      const target = `${endpoint.host}:${endpoint.port}`;
      return await waitUntilReady(
        target,
        tcpProbe(endpoint.host, endpoint.port, await tcpConnector("waitUntilReady")),
        options,
        context,
      );
    }
    const url = exposureUrl(fields.url, options?.path);
    const fetch = (clientOptions.given.fetch as FetchLike | undefined) ??
      ((request: Request) => globalThis.fetch(request));
    return await waitUntilReady(
      url,
      httpProbe(url, { fetch, userAgent: USER_AGENT, isReady: options?.isReady }),
      options,
      context,
    );
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
      ready: async (session, opts) => {
        assertWaitOptions("options", opts, WAIT_OPTION_KEYS);
        // Only a checked host and port are connected to (nothing else is ever resolved).
        const target = sshTarget(session);
        const { pipeline, options } = this.#internals;
        return await waitUntilReady(
          session.externalEndpoint,
          tcpProbe(target.address, target.port, await tcpConnector("waitUntilReady")),
          opts,
          { clock: pipeline.clock, emit: options.emit },
        );
      },
    });
  }

  async closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult> {
    return await this.#remove(SSH_SESSION, sessionId, options);
  }

  async forward(remotePort: number, options?: ForwardOptions): Promise<Forward> {
    return await primeForward(this, remotePort, options);
  }

  async connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection> {
    return await primeConnect(this, remotePort, options);
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
    // The same pipeline as every other call (timeout, retries, redirects, network errors,
    // events), on the gateway's origin with the session token as the bearer, which the auth
    // layer then redacts from every answer and error as it does the API key. The gateway
    // documents no budget: no client-side limit.
    const { pipeline } = this.#internals;
    const body = JSON.stringify({
      session_id: session.sessionId,
      public_key: key,
      ttl_seconds: session.ttlSeconds,
    });
    await invoke(async ({ signal }): Promise<ClientResult<never>> => {
      const response = await pipeline.send(
        new Request(url, {
          method: "POST",
          headers: { "content-type": "application/json", "user-agent": USER_AGENT },
          body,
          ...(signal ? { signal } : {}),
        }),
        {
          operation: "authorizeKey",
          timeoutMs: callOptions?.timeoutMs,
          bearer: { origin: url.origin, token: session.token },
        },
      );
      const text = await response.text();
      return response.ok ? { response } : { error: parseMaybeJson(text), response };
    }, context(this.#internals, "authorizeKey", callOptions));
  }
}

function parseMaybeJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An exposure's URL with `path` appended; a URL that is not http(s) is an {@link UnexpectedResponseError}. */
function exposureUrl(url: string, path: string | undefined): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UnexpectedResponseError(
      "Prime Intellect exposePort: the exposure's url is not an http(s) URL",
    );
  }
  if (path === undefined) return parsed.href;
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}${path}`;
}

/** `host:port` of a TCP exposure; anything else is an {@link UnexpectedResponseError}. */
function parseEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(endpoint);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 1 && port <= 65535)) {
    throw new UnexpectedResponseError(
      "Prime Intellect exposePort: the exposure's external endpoint is not host:port",
    );
  }
  return { host: match[1]!, port };
}
