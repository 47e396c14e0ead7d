/**
 * {@link ApiError}: the server (or the client on its behalf) answered with a
 * non-2xx status; {@link isApiError}, its check across copies of sandgate.
 * The subclasses by status are in their own files.
 *
 * @module
 */
import { parseRetryAfter } from "../http/retry_after.ts";
import { type Provider, providerName } from "../provider.ts";
import { BEARER, nameClass, oneLine } from "./_private.ts";
import { isSandgateError, SandgateError } from "./sandgate_error.ts";

const API_ERROR = Symbol.for("sandgate.apiError");

/**
 * Whether `value` is an {@link ApiError} (the server, or the client on its
 * behalf, answered with an HTTP status), from any copy of sandgate.
 *
 * @example
 * ```ts
 * import { isApiError, Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new Tensorlake({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("my-sandbox");
 * const error = await sandbox.getPty("no-such-session").catch((e) => e);
 * if (isApiError(error)) console.log(error.status, error.name); // 404 NotFoundError
 * ```
 */
export function isApiError(value: unknown): value is ApiError {
  return isSandgateError(value) &&
    (value as unknown as Record<symbol, unknown>)[API_ERROR] === true;
}

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
  /**
   * Milliseconds the server asked us to wait, if it said; `undefined` when
   * the caller already read the headers and found nothing. When the key is
   * absent, `Retry-After` / `RateLimit-Reset` are read from `headers`.
   */
  retryAfterMs?: number | undefined;
  /** Where the failure came from, e.g. the last retried error. */
  cause?: unknown;
  /**
   * `"client"` when sandgate answered for the server without sending
   * anything (a rate-limit wait over `maxWaitMs` or past the deadline, a
   * handle that was already closed). Default `"server"`.
   */
  source?: ErrorSource;
}

/** Who produced an {@link ApiError}: the server's answer, or the client refusing to send. */
export type ErrorSource = "server" | "client";

const MAX_BODY_TEXT = 500;
const REQUEST_ID_HEADERS = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"];

/**
 * The server answered with a non-2xx status. Use the subclasses to branch on
 * the kind of failure.
 *
 * @example
 * ```ts
 * import { ApiError } from "@sandgate/sdk";
 * const error = new ApiError({
 *   status: 422,
 *   provider: "primeintellect",
 *   operation: "exposePort",
 *   body: { errors: [{ param: "port", details: "must be ≤ 9000" }] },
 * });
 * console.log(error instanceof ApiError, error.message);
 * ```
 */
export class ApiError extends SandgateError {
  static {
    nameClass(this, "ApiError");
    Object.defineProperty(this.prototype, API_ERROR, { value: true });
  }

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
  /**
   * `"server"` for a real HTTP answer; `"client"` when sandgate refused to
   * send and answered in the server's terms (nothing reached the server).
   */
  readonly source: ErrorSource;

  /** Creates the error; sandgate itself picks the subclass by status. */
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
    // Read once: a caller that parsed the headers already (the retry middleware,
    // the request path) hands its answer over, even when it is "nothing".
    this.retryAfterMs = "retryAfterMs" in init
      ? init.retryAfterMs
      : parseRetryAfter(headers, Date.now());
    this.headers = headers;
    this.body = body;
    this.errors = errors;
    this.source = init.source ?? "server";
  }
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
