/**
 * Exposed ports: the camelCase shapes the high-level Prime Intellect API
 * returns, and the disposable {@link Exposure} handle.
 *
 * @module
 */
import { type CleanupOptions, type CleanupResult, Handle } from "../handle.ts";
import { PRIME_INTELLECT_HANDLES } from "./handles.ts";
import type { ReadyInfo, WaitUntilReadyOptions } from "../readiness/wait.ts";
import type { Shape } from "../request.ts";
import type { ExposedPortInfo, ExposePortResponse, UnexposePortResponse } from "../wire_types.ts";

/**
 * Options of `exposePort`.
 *
 * @example
 * ```ts
 * import type { ExposePortOptions } from "@sandgate/sdk";
 * const options: ExposePortOptions = { port: 5432, name: "db", protocol: "tcp" };
 * console.log(options.port);
 * ```
 */
export interface ExposePortOptions {
  /**
   * Port inside the sandbox: an integer from 22 to 9000, except 8080, 2222 and 8081, which
   * Prime Intellect does not expose (https://docs.primeintellect.ai/sandboxes/cli, "Expose Ports").
   */
  port: number;
  /** Human-readable name, at most 50 characters. */
  name?: string | null;
  /** `"HTTP"` (default) or `"TCP"`, in any case. */
  protocol?: "HTTP" | "TCP" | "http" | "tcp" | (string & Record<never, never>);
  /**
   * Resolve only once the port answers through its public URL or endpoint
   * (see {@link Exposure.waitUntilReady}): `true`, or its options. When the
   * wait fails, the port is unexposed again before `exposePort` rejects.
   */
  waitUntilReady?: boolean | WaitUntilReadyOptions;
}

/**
 * An exposed port's fields: what `exposePort` and `listExposures` report,
 * and what an {@link Exposure}'s `toJSON()` returns.
 *
 * @example
 * ```ts
 * import { type ExposureInfo, PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("sb-1");
 * await using exposure = await sandbox.exposePort({ port: 8000 });
 * const fields: ExposureInfo = exposure.toJSON();
 * const [listed]: ExposureInfo[] = await sandbox.listExposures();
 * console.log(fields.url === listed?.url, listed?.createdAt?.toISOString());
 * ```
 */
export interface ExposureInfo {
  /** Id of the exposure (pass it to `unexposePort`). */
  readonly exposureId: string;
  /** Sandbox the port belongs to. */
  readonly sandboxId: string;
  /** Port inside the sandbox. */
  readonly port: number;
  /** Name given at creation, or `null`. */
  readonly name: string | null;
  /**
   * `"HTTP"` or `"TCP"`. When the answer leaves it out (Prime's own models make
   * it optional): for `exposePort`, the protocol asked for (`"HTTP"` by
   * default, as the API documents); in listings, `null`.
   */
  readonly protocol: string | null;
  /** Public URL of the port. */
  readonly url: string;
  /** TLS socket (`host:port`) of the exposure. */
  readonly tlsSocket: string;
  /** External port of a TCP exposure, `null` for HTTP. */
  readonly externalPort: number | null;
  /** External `host:port` of a TCP exposure, `null` for HTTP. */
  readonly externalEndpoint: string | null;
  /** When the port was exposed, or `null` when the server does not say (`exposePort` does not). */
  readonly createdAt: Date | null;
}

/**
 * An exposed port, from `exposePort` or `listExposures`. `await using`
 * unexposes it at scope exit; unexposing is idempotent (a 404 resolves
 * `{ alreadyGone: true }`), and once it succeeded the handle answers
 * locally: a later `{ strict: true }` call throws `NotFoundError` without
 * a request.
 *
 * @example
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("sb-1");
 * const exposure = await sandbox.exposePort({ port: 8000 });
 * console.log(exposure.url);
 * console.log(await exposure.unexpose()); // { alreadyGone: false }
 *
 * // Items of a listing clean up the same way.
 * await sandbox.exposePort({ port: 3000 });
 * for (const listed of await sandbox.listExposures()) await listed.unexpose();
 * ```
 */
export interface Exposure extends ExposureInfo, AsyncDisposable {
  /** Unexposes the port; later calls reuse the first successful result. */
  unexpose(options?: CleanupOptions): Promise<CleanupResult>;
  /**
   * Resolves once the service inside the sandbox answers through the
   * exposure, not the gateway in front of it: for HTTP, `GET url + path`
   * answered with anything but a gateway status (502, 503, 504, 52x) or a
   * network error, and accepted by `isReady` when given; for TCP, a
   * connection to `externalEndpoint` that sends a byte or stays open. Retries
   * with jittered backoff on the client's clock, reports each attempt as a
   * `readiness` event, and rejects with a `TimeoutError` after `timeoutMs`
   * (default 60 s) or with the reason of `signal`. Sends no credentials.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   *
   * const served = (request: Request) =>
   *   Promise.resolve(
   *     new URL(request.url).hostname.startsWith("8000-")
   *       ? new Response("hello")
   *       : Response.json({
   *         exposure_id: "exp-1", sandbox_id: "sb-1", port: 8000, protocol: "HTTP",
   *         url: "https://8000-sb-1.example.test", tls_socket: "8000-sb-1.example.test:443",
   *       }),
   *   );
   * const prime = new PrimeIntellect({ apiKey: "demo", fetch: served });
   * const exposure = await prime.sandbox("sb-1").exposePort({ port: 8000 });
   * const ready = await exposure.waitUntilReady({ timeoutMs: 30_000 });
   * console.log(ready.answer); // HTTP 200
   * ```
   */
  waitUntilReady(options?: WaitUntilReadyOptions): Promise<ReadyInfo>;
  /** The exposure's fields. */
  toJSON(): ExposureInfo;
}

/** The fields `ExposePortResponse` promises. */
export const EXPOSE_PORT_SHAPE: Shape<ExposePortResponse> = {
  exposure_id: "string",
  sandbox_id: "string",
  port: "integer",
  name: "string?",
  // Optional in Prime's own models (models.py@66fb4b7, ExposedPort), whatever the fragment says.
  protocol: "string?",
  url: "string",
  tls_socket: "string",
  external_port: "integer?",
  external_endpoint: "string?",
};

/** The fields `ExposedPortInfo` promises. */
export const EXPOSED_PORT_INFO_SHAPE: Shape<ExposedPortInfo> = /* @__PURE__ */ Object.assign(
  {},
  EXPOSE_PORT_SHAPE,
  {
    protocol: "string?",
    // Prime's models keep it a plain Optional[str]: not parsed there, so not required to be a date.
    created_at: "string?",
  } as const,
);

/** The fields `UnexposePortResponse` promises. */
export const UNEXPOSE_SHAPE: Shape<UnexposePortResponse> = {
  success: "boolean",
  message: "string",
};

/**
 * Converts a checked `ExposePortResponse` or `ExposedPortInfo` to camelCase.
 * `requested`: the protocol of an `exposePort` request, used when its answer has none.
 */
export function toExposureInfo(
  body: ExposePortResponse | ExposedPortInfo,
  requested?: string,
): ExposureInfo {
  return {
    exposureId: body.exposure_id,
    sandboxId: body.sandbox_id,
    port: body.port,
    name: body.name ?? null,
    protocol: body.protocol ?? requested ?? null,
    url: body.url,
    tlsSocket: body.tls_socket,
    externalPort: body.external_port ?? null,
    externalEndpoint: body.external_endpoint ?? null,
    createdAt: "created_at" in body ? parseDate(body.created_at) : null,
  };
}

/** Whether an exposure's `waitUntilReady()` probes it over TCP (else HTTP). */
export function isTcpExposure(fields: ExposureInfo): boolean {
  return fields.protocol === "TCP" ||
    (fields.protocol === null && fields.externalEndpoint !== null);
}

/** A date the server sent, or `null` when it sent none or something that is not a date. */
function parseDate(value: string | null | undefined): Date | null {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/**
 * What an {@link ExposureHandle} calls on its owner, the sandbox handle it
 * came from (which implements it).
 */
export interface ExposureOwner {
  /** Unexposes a port by exposure id. */
  unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult>;
  /** Waits until the exposure these fields describe answers. */
  waitUntilExposureReady(
    fields: ExposureInfo,
    options?: WaitUntilReadyOptions,
  ): Promise<ReadyInfo>;
}

/** The {@link Exposure} implementation. */
export class ExposureHandle extends Handle<ExposureInfo> implements Exposure {
  readonly #owner: ExposureOwner;

  constructor(fields: ExposureInfo, owner: ExposureOwner) {
    super(PRIME_INTELLECT_HANDLES.exposure, fields);
    this.#owner = owner;
  }

  protected cleanupRequest(options?: CleanupOptions): Promise<CleanupResult> {
    return this.#owner.unexposePort(this.exposureId, options);
  }

  unexpose(options?: CleanupOptions): Promise<CleanupResult> {
    return this.release(options);
  }

  waitUntilReady(options?: WaitUntilReadyOptions): Promise<ReadyInfo> {
    return this.live(
      "waitUntilReady",
      () => this.#owner.waitUntilExposureReady(this.toJSON(), options),
    );
  }
}
