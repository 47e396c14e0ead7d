/**
 * The error classes sandgate throws. Every error is a {@link SandgateError};
 * HTTP failures are {@link ApiError} subclasses chosen by status code.
 *
 * Messages are one readable line and never contain an API key or token.
 *
 * @module
 */
import { parseRetryAfter } from "./http/retry_after.ts";

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

// Registered symbols: the same in every copy of sandgate loaded in one process.
const SANDGATE_ERROR = Symbol.for("sandgate.error");
const API_ERROR = Symbol.for("sandgate.apiError");

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
    // sandgate's classes name themselves literally; a subclass of your own keeps its class name.
    if (!Object.hasOwn(new.target.prototype, "name")) this.name = new.target.name;
  }

  static {
    nameClass(this, "SandgateError");
    Object.defineProperty(this.prototype, SANDGATE_ERROR, { value: true });
  }

  /**
   * `instanceof` that also recognises errors from another copy of sandgate
   * (the CommonJS and ES module builds loaded side by side, two versions in
   * one bundle): it compares the literal class names on the prototype chain,
   * which survive minification.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (!isSandgateError(value)) return false;
    const wanted = Object.getOwnPropertyDescriptor(this.prototype, "name")?.value;
    // A subclass of your own (no literal name): only the ordinary check applies.
    if (typeof wanted !== "string") return false;
    for (let p = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
      if (Object.getOwnPropertyDescriptor(p, "name")?.value === wanted) return true;
    }
    return false;
  }
}

/**
 * Sets a class's error name on its prototype as a literal, so `error.name`
 * and stack traces keep it after minification renames the class.
 */
function nameClass(cls: { prototype: object }, name: string): void {
  Object.defineProperty(cls.prototype, "name", {
    value: name,
    writable: true,
    configurable: true,
  });
}

/**
 * Whether `value` is an error thrown by sandgate: works across the CommonJS
 * and ES module builds and across bundled copies, where `instanceof` on one
 * copy's class would not.
 *
 * @example
 * ```ts
 * import { isSandgateError, Tensorlake } from "@sandgate/sdk";
 * try {
 *   new Tensorlake({ timeout: 5000 } as never);
 * } catch (error) {
 *   if (isSandgateError(error)) console.log(error.name); // ConfigError
 * }
 * ```
 */
export function isSandgateError(value: unknown): value is SandgateError {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[SANDGATE_ERROR] === true;
}

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
export class ConfigError extends SandgateError {
  static {
    nameClass(this, "ConfigError");
  }
}

/**
 * No API key was given and none was found in the environment (nor, for Prime
 * Intellect on Deno, Node and Bun, in `~/.prime/config.json`).
 *
 * @example
 * ```ts
 * import { MissingApiKeyError } from "@sandgate/sdk";
 * const error = new MissingApiKeyError("primeintellect", "PRIME_API_KEY");
 * console.log(error.message);
 * ```
 */
export class MissingApiKeyError extends ConfigError {
  static {
    nameClass(this, "MissingApiKeyError");
  }

  /** The environment variable that was consulted. */
  readonly envVar: string;
  /** Creates the error for a provider and the variable it reads. */
  constructor(provider: Provider, envVar: string) {
    super(
      `${providerName(provider)}: no API key: ${
        missingKeyAdvice(envVar, globalThis, KEY_FILES[provider])
      }`,
    );
    this.envVar = envVar;
  }
}

/**
 * The other place a provider's key is read from, where the runtime has files:
 * Prime Intellect's SDK reads `~/.prime/config.json`, which `prime login`
 * writes (src/primeintellect/config_file.ts).
 */
const KEY_FILES: Partial<Record<Provider, KeyFile>> = {
  primeintellect: { path: "~/.prime/config.json", writtenBy: "prime login" },
};

/** A config file a provider's key is also read from, and the command that writes it. */
export interface KeyFile {
  /** Where it is, e.g. `~/.prime/config.json`. */
  path: string;
  /** The command that writes it, e.g. `prime login`. */
  writtenBy: string;
}

/** The runtime globals {@link missingKeyAdvice} looks at. */
interface RuntimeGlobals {
  Deno?: {
    permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
    readTextFileSync?: unknown;
  };
  process?: { env?: unknown; getBuiltinModule?: unknown };
}

/**
 * What to do about a missing key, for the runtime at hand: Deno without the
 * env permission cannot see a key that is set; Workers have no process
 * environment at all (secrets arrive in the handler's `env`). `keyFile` is
 * the provider's config file (`~/.prime/config.json`), mentioned where the
 * runtime reads files the way config_file.ts does (Deno, Node ≥ 20.16, Bun).
 */
export function missingKeyAdvice(
  envVar: string,
  globals: object = globalThis,
  keyFile?: KeyFile,
): string {
  const g = globals as RuntimeGlobals;
  const readsFiles = typeof g.Deno?.readTextFileSync === "function" ||
    typeof g.process?.getBuiltinModule === "function";
  const file = readsFiles ? keyFile : undefined;
  const login = file
    ? `, or run \`${file.writtenBy}\` (it writes ${file.path}, read after the environment)`
    : "";
  if (g.Deno) {
    let state = "granted";
    try {
      state = g.Deno.permissions?.querySync?.({ name: "env", variable: envVar }).state ??
        "granted";
    } catch {
      // An older Deno without querySync: fall through to the general advice.
    }
    if (state !== "granted") {
      return `${envVar} cannot be read without permission: run Deno with --allow-env=${envVar}, ` +
        "or pass the `apiKey` option" +
        (file ? `; ${file.path} is read with --allow-env=HOME --allow-read` : "");
    }
  } else if (typeof g.process?.env !== "object" || g.process.env === null) {
    return `this runtime has no process environment (e.g. Cloudflare Workers): pass ` +
      `\`apiKey: env.${envVar}\` from the handler's \`env\``;
  }
  return login
    ? `pass the \`apiKey\` option, set the ${envVar} environment variable${login}`
    : `pass the \`apiKey\` option or set the ${envVar} environment variable`;
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
  static {
    nameClass(this, "InvalidArgumentError");
  }

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
  static {
    nameClass(this, "TimeoutError");
  }

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
  static {
    nameClass(this, "NetworkError");
  }

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
export class RateLimitStoreError extends SandgateError {
  static {
    nameClass(this, "RateLimitStoreError");
  }
}

/** Options of {@link UnexpectedResponseError}. */
export interface UnexpectedResponseErrorOptions extends ErrorOptions {
  /** The id of the resource a create answer named (see {@link UnexpectedResponseError.createdId}). */
  createdId?: string;
}

/**
 * A successful response did not have the shape the spec promises.
 *
 * @example
 * ```ts
 * import { UnexpectedResponseError } from "@sandgate/sdk";
 * console.log(new UnexpectedResponseError("exposePort: response lacks url").message);
 * ```
 *
 * @example A create that took effect but answered badly
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnexpectedResponseError } from "@sandgate/sdk";
 * const error = new UnexpectedResponseError(
 *   "exposePort: .tls_socket is missing; the exposure it created could not be removed",
 *   { createdId: "exp-1" },
 * );
 * assert.equal(error.createdId, "exp-1"); // remove it yourself, e.g. unexposePort("exp-1")
 * ```
 */
export class UnexpectedResponseError extends SandgateError {
  static {
    nameClass(this, "UnexpectedResponseError");
  }

  /**
   * Set when the malformed answer was to a create (exposePort,
   * createSshSession, createPty) and named the new resource: its id
   * (`exposure_id`, `session_id`). sandgate has already tried to remove it
   * and the message says whether that worked; when it did not, this id is how
   * to clean up. `undefined` otherwise.
   */
  readonly createdId: string | undefined;

  /** Creates the error; `options.createdId` names a resource the create made. */
  constructor(message: string, options?: UnexpectedResponseErrorOptions) {
    super(message, options);
    this.createdId = options?.createdId;
  }
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
// Safety net: a server that echoes request headers must not put a token into a message.
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
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

/**
 * 401: the API key was missing, wrong or expired.
 *
 * @example
 * ```ts
 * import { AuthenticationError } from "@sandgate/sdk";
 * const error = new AuthenticationError({ status: 401, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof AuthenticationError);
 * ```
 */
export class AuthenticationError extends ApiError {
  static {
    nameClass(this, "AuthenticationError");
  }
}

/**
 * 403: the API key is valid but may not do this (missing scope or role, a
 * sandbox of another team).
 *
 * @example
 * ```ts
 * import { ApiError, ForbiddenError } from "@sandgate/sdk";
 * const error = new ForbiddenError({ status: 403, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ApiError, error.name); // true ForbiddenError
 * ```
 */
export class ForbiddenError extends ApiError {
  static {
    nameClass(this, "ForbiddenError");
  }
}

/**
 * 404: the sandbox, exposure or session does not exist (any more).
 *
 * @example
 * ```ts
 * import { NotFoundError } from "@sandgate/sdk";
 * const error = new NotFoundError({ status: 404, provider: "tensorlake", operation: "killPty" });
 * console.log(error instanceof NotFoundError);
 * ```
 */
export class NotFoundError extends ApiError {
  static {
    nameClass(this, "NotFoundError");
  }
}

/**
 * 422 (or 400): the server rejected the request's data.
 *
 * @example
 * ```ts
 * import { ValidationError } from "@sandgate/sdk";
 * const error = new ValidationError({ status: 422, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ValidationError);
 * ```
 */
export class ValidationError extends ApiError {
  static {
    nameClass(this, "ValidationError");
  }
}

/**
 * 429 from the server (`source: "server"`), or a client-side refusal
 * (`source: "client"`): the next rate-limit slot is further away than
 * `maxWaitMs` or than the call's deadline, and nothing was sent.
 *
 * @example
 * ```ts
 * import { RateLimitedError } from "@sandgate/sdk";
 * const error = new RateLimitedError({
 *   status: 429,
 *   provider: "primeintellect",
 *   operation: "exposePort",
 *   retryAfterMs: 7000,
 * });
 * console.log(error instanceof RateLimitedError, error.retryAfterMs);
 * ```
 */
export class RateLimitedError extends ApiError {
  static {
    nameClass(this, "RateLimitedError");
  }
}

/**
 * 5xx: the server failed.
 *
 * @example
 * ```ts
 * import { ServerError } from "@sandgate/sdk";
 * const error = new ServerError({ status: 503, provider: "primeintellect", operation: "exposePort" });
 * console.log(error instanceof ServerError);
 * ```
 */
export class ServerError extends ApiError {
  static {
    nameClass(this, "ServerError");
  }
}

/** Builds the {@link ApiError} subclass that matches `init.status` (internal). */
export function createApiError(init: ApiErrorInit): ApiError {
  const { status } = init;
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new ForbiddenError(init);
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

/**
 * `text` on one line (whitespace runs collapsed), bearer tokens redacted,
 * cut to `max` characters with an ellipsis: how server text enters a message.
 */
export function oneLine(text: string, max = 200): string {
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
  static {
    nameClass(this, "PtyDisconnectedError");
  }
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
