/**
 * Exposed ports: the camelCase shapes the high-level Prime Intellect API
 * returns, and the disposable {@link Exposure} handle.
 *
 * @module
 */
import {
  asyncDispose,
  CleanupOnce,
  type CleanupOptions,
  type CleanupResult,
  PublicFields,
} from "../handle.ts";
import type { Shape } from "../request.ts";
import type { ExposedPortInfo, ExposePortResponse, UnexposePortResponse } from "../types.ts";

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
  /** Port inside the sandbox: an integer from 22 to 9000. */
  port: number;
  /** Human-readable name, at most 50 characters. */
  name?: string | null;
  /** `"HTTP"` (default) or `"TCP"`, in any case. */
  protocol?: "HTTP" | "TCP" | "http" | "tcp" | (string & Record<never, never>);
}

/**
 * An exposed port, as `exposePort` answers it.
 *
 * @example
 * ```ts
 * import { type ExposedPort, PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using exposure = await prime.sandbox("sb-1").exposePort({ port: 8080 });
 * const fields: ExposedPort = exposure.toJSON();
 * console.log(fields.exposureId, fields.url);
 * ```
 */
export interface ExposedPort {
  /** Id of the exposure (pass it to `unexposePort`). */
  readonly exposureId: string;
  /** Sandbox the port belongs to. */
  readonly sandboxId: string;
  /** Port inside the sandbox. */
  readonly port: number;
  /** Name given at creation, or `null`. */
  readonly name: string | null;
  /**
   * `"HTTP"` or `"TCP"`: the server's answer, or, when it leaves the field out
   * (Prime's own models make it optional), the protocol that was asked for
   * (`"HTTP"` by default, as the API documents).
   */
  readonly protocol: string;
  /** Public URL of the port. */
  readonly url: string;
  /** TLS socket (`host:port`) of the exposure. */
  readonly tlsSocket: string;
  /** External port of a TCP exposure, `null` for HTTP. */
  readonly externalPort: number | null;
  /** External `host:port` of a TCP exposure, `null` for HTTP. */
  readonly externalEndpoint: string | null;
}

/**
 * One entry of `listExposures`.
 *
 * @example
 * ```ts
 * import { type ExposureInfo, PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("sb-1");
 * await using _exposure = await sandbox.exposePort({ port: 8080 });
 * const [info]: ExposureInfo[] = await sandbox.listExposures();
 * console.log(info?.port, info?.createdAt?.toISOString());
 * ```
 */
export interface ExposureInfo extends Omit<ExposedPort, "protocol"> {
  /** `"HTTP"` or `"TCP"`, or `null` when the server does not say. */
  readonly protocol: string | null;
  /** When the port was exposed, or `null` when the server does not say (or sends no date). */
  readonly createdAt: Date | null;
}

/**
 * A port exposed by `exposePort`. `await using` unexposes it at scope exit;
 * unexposing is idempotent (a 404 resolves `{ alreadyGone: true }`).
 *
 * @example
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * const exposure = await prime.sandbox("sb-1").exposePort({ port: 8080 });
 * console.log(exposure.url);
 * console.log(await exposure.unexpose()); // { alreadyGone: false }
 * ```
 */
export interface Exposure extends ExposedPort, AsyncDisposable {
  /** Unexposes the port; later calls reuse the first successful result. */
  unexpose(options?: CleanupOptions): Promise<CleanupResult>;
  /** The exposure's fields. */
  toJSON(): ExposedPort;
}

/** The fields `ExposePortResponse` promises. */
export const EXPOSE_PORT_SHAPE: Shape<ExposePortResponse> = {
  exposure_id: "string",
  sandbox_id: "string",
  port: "integer",
  name: "string?",
  protocol: "string?",
  url: "string",
  tls_socket: "string",
  external_port: "integer?",
  external_endpoint: "string?",
};

/** The fields `ExposedPortInfo` promises. */
export const EXPOSED_PORT_INFO_SHAPE: Shape<ExposedPortInfo> = {
  ...EXPOSE_PORT_SHAPE,
  protocol: "string?",
  // Prime's models (models.py@66fb4b7) keep it a plain Optional[str]: not parsed there.
  created_at: "string?",
};

/** The fields `UnexposePortResponse` promises. */
export const UNEXPOSE_SHAPE: Shape<UnexposePortResponse> = {
  success: "boolean",
  message: "string",
};

/**
 * Converts a checked `ExposePortResponse` to camelCase. `requested` is the
 * protocol of the request, used when the answer has none.
 */
export function toExposedPort(body: ExposePortResponse, requested = "HTTP"): ExposedPort {
  return {
    exposureId: body.exposure_id,
    sandboxId: body.sandbox_id,
    port: body.port,
    name: body.name ?? null,
    protocol: body.protocol ?? requested,
    url: body.url,
    tlsSocket: body.tls_socket,
    externalPort: body.external_port ?? null,
    externalEndpoint: body.external_endpoint ?? null,
  };
}

/** Converts a checked `ExposedPortInfo` to camelCase. */
export function toExposureInfo(body: ExposedPortInfo): ExposureInfo {
  return {
    ...toExposedPort(body),
    protocol: body.protocol ?? null,
    createdAt: parseDate(body.created_at),
  };
}

/** A date the server sent, or `null` when it sent none or something that is not a date. */
function parseDate(value: string | null | undefined): Date | null {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/** The {@link Exposure} implementation. */
export class ExposureHandle extends PublicFields<ExposedPort> implements Exposure {
  protected readonly inspectName = "Exposure";
  readonly exposureId: string;
  readonly sandboxId: string;
  readonly port: number;
  readonly name: string | null;
  readonly protocol: string;
  readonly url: string;
  readonly tlsSocket: string;
  readonly externalPort: number | null;
  readonly externalEndpoint: string | null;
  readonly #unexpose: (options?: CleanupOptions) => Promise<CleanupResult>;
  readonly #once = new CleanupOnce();

  constructor(
    fields: ExposedPort,
    unexpose: (options?: CleanupOptions) => Promise<CleanupResult>,
  ) {
    super();
    this.exposureId = fields.exposureId;
    this.sandboxId = fields.sandboxId;
    this.port = fields.port;
    this.name = fields.name;
    this.protocol = fields.protocol;
    this.url = fields.url;
    this.tlsSocket = fields.tlsSocket;
    this.externalPort = fields.externalPort;
    this.externalEndpoint = fields.externalEndpoint;
    this.#unexpose = unexpose;
  }

  unexpose(options?: CleanupOptions): Promise<CleanupResult> {
    return this.#once.run(() => this.#unexpose(options));
  }

  async [asyncDispose](): Promise<void> {
    await this.unexpose();
  }

  toJSON(): ExposedPort {
    return {
      exposureId: this.exposureId,
      sandboxId: this.sandboxId,
      port: this.port,
      name: this.name,
      protocol: this.protocol,
      url: this.url,
      tlsSocket: this.tlsSocket,
      externalPort: this.externalPort,
      externalEndpoint: this.externalEndpoint,
    };
  }
}
