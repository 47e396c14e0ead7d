/**
 * The error classes sandgate throws. Every error is a {@link SandgateError};
 * HTTP failures are {@link ApiError} subclasses chosen by status code.
 *
 * Messages are one readable line and never contain an API key or token.
 *
 * @module
 */
import { parseRetryAfter } from "./middleware/retry_after.ts";

/** Which provider an error came from. */
export type Provider = "primeintellect" | "tensorlake";

const PROVIDER_NAMES: Record<Provider, string> = {
  primeintellect: "Prime Intellect",
  tensorlake: "Tensorlake",
};

/** Human-readable provider name, e.g. `"Prime Intellect"`. */
export function providerName(provider: Provider): string {
  return PROVIDER_NAMES[provider];
}

/**
 * Base class of every error sandgate throws.
 *
 * @example Catch anything sandgate throws
 * ```ts
 * import { SandgateError } from "@sandgate/sdk";
 * try {
 *   throw new SandgateError("boom");
 * } catch (error) {
 *   if (error instanceof SandgateError) console.log(error.name, error.message);
 * }
 * ```
 */
export class SandgateError extends Error {
  /** Creates an error; `options.cause` is kept as the standard `cause`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A client was configured wrongly (bad base URL, insecure scheme, bad option).
 *
 * @example
 * ```ts
 * import { ConfigError } from "@sandgate/sdk";
 * const error = new ConfigError("baseUrl: must be https");
 * console.log(error instanceof ConfigError);
 * ```
 */
export class ConfigError extends SandgateError {}

/**
 * No API key was given and none was found in the environment.
 *
 * @example
 * ```ts
 * import { MissingApiKeyError } from "@sandgate/sdk";
 * const error = new MissingApiKeyError("primeintellect", "PRIME_API_KEY");
 * console.log(error.message);
 * ```
 */
export class MissingApiKeyError extends ConfigError {
  /** The environment variable that was consulted. */
  readonly envVar: string;
  /** Creates the error for a provider and the variable it reads. */
  constructor(provider: Provider, envVar: string) {
    super(
      `${
        providerName(provider)
      }: no API key: pass the \`apiKey\` option or set the ${envVar} environment variable`,
    );
    this.envVar = envVar;
  }
}

/**
 * An argument failed validation before any request was sent.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "@sandgate/sdk";
 * const error = new InvalidArgumentError("port", 80000, "must be an integer from 22 to 9000");
 * console.log(error.message); // port: must be an integer from 22 to 9000 (got 80000)
 * ```
 */
export class InvalidArgumentError extends SandgateError {
  /** The argument (or field path) that was rejected. */
  readonly field: string;
  /** The rule it broke. */
  readonly rule: string;
  /**
   * Creates the error. Pass `{ secret: true }` for values that must never be
   * echoed (tokens, keys): the message then omits the value.
   */
  constructor(field: string, value: unknown, rule: string, options?: { secret?: boolean }) {
    const shown = options?.secret ? "" : ` (got ${describeValue(value)})`;
    super(`${field}: ${rule}${shown}`);
    this.field = field;
    this.rule = rule;
  }
}

/** Renders a rejected value briefly and safely for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === "number") {
    return Object.is(value, -0) ? "-0" : String(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (value === null || value === undefined || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * A request did not finish within its `timeoutMs` budget (all attempts included).
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@sandgate/sdk";
 * console.log(new TimeoutError(5000).message);
 * ```
 */
export class TimeoutError extends SandgateError {
  /** The budget that ran out, in milliseconds. */
  readonly timeoutMs: number;
  /** Creates the error for a budget in milliseconds. */
  constructor(timeoutMs: number, operation?: string) {
    super(`${operation ? `${operation}: ` : ""}request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The request failed before an HTTP response arrived (connection refused or
 * reset, DNS failure, TLS error).
 *
 * @example
 * ```ts
 * import { NetworkError } from "@sandgate/sdk";
 * const error = new NetworkError("connection refused", { neverSent: true });
 * console.log(error.neverSent);
 * ```
 */
export class NetworkError extends SandgateError {
  /**
   * `true` when the request provably never reached the server (connection
   * refused, DNS failure), so even a POST can be retried safely.
   */
  readonly neverSent: boolean;
  /** Creates the error; `neverSent` defaults to `false`. */
  constructor(message: string, options?: ErrorOptions & { neverSent?: boolean }) {
    super(message, options);
    this.neverSent = options?.neverSent ?? false;
  }
}

/**
 * A client-side or shared rate-limit store could not be reached, and the
 * failure policy is `"fail-closed"`: nothing was sent.
 *
 * @example
 * ```ts
 * import { RateLimitStoreError } from "@sandgate/sdk";
 * console.log(new RateLimitStoreError("store unreachable").name);
 * ```
 */
export class RateLimitStoreError extends SandgateError {}

/**
 * A successful response did not have the shape the spec promises.
 *
 * @example
 * ```ts
 * import { UnexpectedResponseError } from "@sandgate/sdk";
 * console.log(new UnexpectedResponseError("exposePort: response lacks url").message);
 * ```
 */
export class UnexpectedResponseError extends SandgateError {}

/** One entry of a Prime Intellect `ErrorResponse.errors`. */
export interface ApiErrorDetail {
  /** The parameter at fault. */
  param: string;
  /** What is wrong with it. */
  details: string;
}

/** What an {@link ApiError} is built from. */
export interface ApiErrorInit {
  /** HTTP status code. */
  status: number;
  /** Provider that answered. */
  provider: Provider;
  /** Operation that failed, e.g. `"exposePort"` or an operationId. */
  operation: string;
  /** Response headers. */
  headers?: Headers;
  /** Parsed JSON body, or the (truncated) body text when it was not JSON. */
  body?: unknown;
  /** Milliseconds the server asked us to wait, if it said. */
  retryAfterMs?: number;
  /** Where the failure came from, e.g. the last retried error. */
  cause?: unknown;
}

const MAX_BODY_TEXT = 500;
// Safety net: a server that echoes request headers must not put a token into a message.
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

/**
 * The server answered with a non-2xx status. Use the subclasses to branch on
 * the kind of failure.
 *
 * @example
 * ```ts
 * import { ApiError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({
 *   status: 422,
 *   provider: "primeintellect",
 *   operation: "exposePort",
 *   body: { errors: [{ param: "port", details: "must be ≤ 9000" }] },
 * });
 * console.log(error instanceof ApiError, error.message);
 * ```
 */
export class ApiError extends SandgateError {
  /** HTTP status code. */
  readonly status: number;
  /** Machine-readable error code, when the body carries one. */
  readonly code: string | undefined;
  /** Provider that answered. */
  readonly provider: Provider;
  /** Operation that failed. */
  readonly operation: string;
  /** Request id from the response headers, for support tickets. */
  readonly requestId: string | undefined;
  /**
   * Milliseconds the server asked us to wait (`Retry-After` or
   * `RateLimit-Reset`; read from `headers` when not given), if any.
   */
  readonly retryAfterMs: number | undefined;
  /** Response headers. */
  readonly headers: Headers;
  /** Parsed body (JSON), or its text truncated to 500 characters. */
  readonly body: unknown;
  /** Prime Intellect `ErrorResponse.errors`, empty when absent. */
  readonly errors: readonly ApiErrorDetail[];

  /** Creates the error; prefer {@link createApiError}, which picks the subclass. */
  constructor(init: ApiErrorInit) {
    const headers = init.headers ?? new Headers();
    const body = truncateBody(init.body);
    const errors = extractDetails(body);
    const code = extractCode(body);
    const requestId = REQUEST_ID_HEADERS.map((h) => headers.get(h)).find((v) => v) ?? undefined;
    super(
      formatMessage(init, body, errors, requestId),
      init.cause === undefined ? undefined : {
        cause: init.cause,
      },
    );
    this.status = init.status;
    this.code = code;
    this.provider = init.provider;
    this.operation = init.operation;
    this.requestId = requestId;
    this.retryAfterMs = init.retryAfterMs ?? parseRetryAfter(headers, Date.now());
    this.headers = headers;
    this.body = body;
    this.errors = errors;
  }
}

/**
 * 401: the API key was missing, wrong or expired.
 *
 * @example
 * ```ts
 * import { AuthenticationError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({ status: 401, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof AuthenticationError);
 * ```
 */
export class AuthenticationError extends ApiError {}

/**
 * 404: the sandbox, exposure or session does not exist (any more).
 *
 * @example
 * ```ts
 * import { NotFoundError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({ status: 404, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof NotFoundError);
 * ```
 */
export class NotFoundError extends ApiError {}

/**
 * 422 (or 400): the server rejected the request's data.
 *
 * @example
 * ```ts
 * import { ValidationError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({ status: 422, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ValidationError);
 * ```
 */
export class ValidationError extends ApiError {}

/**
 * 429 from the server, or a client-side wait longer than `maxWaitMs`.
 *
 * @example
 * ```ts
 * import { RateLimitedError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({
 *   status: 429,
 *   provider: "primeintellect",
 *   operation: "exposePort",
 *   retryAfterMs: 7000,
 * });
 * console.log(error instanceof RateLimitedError, error.retryAfterMs);
 * ```
 */
export class RateLimitedError extends ApiError {}

/**
 * 5xx: the server failed.
 *
 * @example
 * ```ts
 * import { ServerError, createApiError } from "@sandgate/sdk";
 * const error = createApiError({ status: 503, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ServerError);
 * ```
 */
export class ServerError extends ApiError {}

/**
 * Builds the {@link ApiError} subclass that matches `init.status`.
 *
 * @example
 * ```ts
 * import { createApiError, NotFoundError } from "@sandgate/sdk";
 * const error = createApiError({ status: 404, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof NotFoundError);
 * ```
 */
export function createApiError(init: ApiErrorInit): ApiError {
  const { status } = init;
  if (status === 401 || status === 403) return new AuthenticationError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 400 || status === 422) return new ValidationError(init);
  if (status === 429) return new RateLimitedError(init);
  if (status >= 500) return new ServerError(init);
  return new ApiError(init);
}

function truncateBody(body: unknown): unknown {
  if (typeof body !== "string") return body;
  const text = body.replace(BEARER, "$1[redacted]");
  if (text.length > MAX_BODY_TEXT) {
    return `${text.slice(0, MAX_BODY_TEXT)}… (${text.length - MAX_BODY_TEXT} more characters)`;
  }
  return text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function extractDetails(body: unknown): ApiErrorDetail[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  const details: ApiErrorDetail[] = [];
  for (const entry of body.errors) {
    if (isRecord(entry) && typeof entry.param === "string" && typeof entry.details === "string") {
      details.push({ param: entry.param, details: entry.details });
    }
  }
  return details;
}

function extractCode(body: unknown): string | undefined {
  if (isRecord(body) && typeof body.code === "string") return body.code;
  return undefined;
}

function oneLine(text: string, max = 200): string {
  const flat = text.replace(BEARER, "$1[redacted]").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatMessage(
  init: ApiErrorInit,
  body: unknown,
  errors: readonly ApiErrorDetail[],
  requestId: string | undefined,
): string {
  let reason = "";
  if (errors.length > 0) {
    reason = errors.map((e) => `${e.param}: ${e.details}`).join("; ");
  } else if (isRecord(body) && typeof body.error === "string") {
    reason = body.code ? `${body.error} (${String(body.code)})` : body.error;
  } else if (isRecord(body) && typeof body.detail === "string") {
    reason = body.detail;
  } else if (typeof body === "string" && body.length > 0) {
    reason = body;
  }
  const parts = [`${providerName(init.provider)} ${init.operation} failed: ${init.status}`];
  if (reason) parts.push(oneLine(reason));
  if (requestId) parts.push(`(request id ${oneLine(requestId, 80)})`);
  return parts.join(" ");
}

/**
 * A PTY WebSocket ended without an exit or a kill: the network dropped it,
 * the server closed it for another reason, the reader fell too far behind, or
 * the client detached (`byClient`). The PTY itself may still run: attach again
 * with its session id and token.
 *
 * @example
 * ```ts
 * import { PtyDisconnectedError } from "@sandgate/sdk";
 * const error = new PtyDisconnectedError("PTY connection closed: 1006", { closeCode: 1006 });
 * console.log(error.closeCode, error.byClient); // 1006 false
 * ```
 */
export class PtyDisconnectedError extends NetworkError {
  /** The WebSocket close code, when the socket reported one. */
  readonly closeCode: number | undefined;
  /** The WebSocket close reason (`""` when none). */
  readonly closeReason: string;
  /** `true` when this side detached (`close()`, dispose, abort). */
  readonly byClient: boolean;
  /** Creates the error. */
  constructor(
    message: string,
    options?: ErrorOptions & { closeCode?: number; closeReason?: string; byClient?: boolean },
  ) {
    super(message, options);
    this.closeCode = options?.closeCode;
    this.closeReason = options?.closeReason ?? "";
    this.byClient = options?.byClient ?? false;
  }
}
