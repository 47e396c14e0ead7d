/**
 * The one request path of the high-level API: every method sends its call
 * through {@link invoke}, which hands the per-call signal and budget to the
 * client's pipeline (one timer, one deadline per call), turns non-2xx
 * answers into typed {@link ApiError}s, and checks success bodies against the
 * fields the spec promises with {@link requireFields}.
 *
 * @module
 */
import {
  type ApiError,
  createApiError,
  NetworkError,
  type Provider,
  providerName,
  SandgateError,
  UnexpectedResponseError,
} from "./errors.ts";
import { isCallbackError } from "./util/callback.ts";
import type { Clock } from "./util/clock.ts";
import { parseRetryAfter } from "./http/retry_after.ts";
import type { HandleKind } from "./handle.ts";
import type { CallOptions, FetchLike } from "./options.ts";
import type { Pipeline } from "./pipeline.ts";

/** What an openapi-fetch method resolves with. */
export interface ClientResult<T> {
  /** Parsed success body (`undefined` for 204 or an empty body). */
  data?: T;
  /** Parsed error body (JSON, or the text when it is not JSON). */
  error?: unknown;
  /** The response. */
  response: Response;
}

/** What a high-level handle needs of its client's pipeline: a narrow view of {@link Pipeline}. */
export type CallTarget = Pick<Pipeline, "provider" | "clock" | "fetchFor">;

/** Who is calling: used for error messages, timeouts and `Retry-After`. */
export interface InvokeContext {
  /** The client's pipeline the call goes through. */
  pipeline: CallTarget;
  /** Friendly operation name, e.g. `"exposePort"`. */
  operation: string;
  /** The caller's per-call options. */
  callOptions?: CallOptions | undefined;
}

/**
 * What a call passes on to the low-level client's method: the caller's
 * signal, and the `fetch` that carries the per-call budget into the pipeline.
 */
export type CallInit = {
  signal?: AbortSignal;
  fetch: FetchLike;
};

/**
 * Sends one call: runs `call` with the caller's signal and a `fetch` that
 * carries the per-call `timeoutMs` into the pipeline's one timer, throws the
 * {@link ApiError} subclass for a non-2xx answer, and returns the success
 * body (`undefined` for 204).
 *
 * A success body that is not JSON is an {@link UnexpectedResponseError}; a
 * failure while reading the body is a {@link NetworkError}; an abort rejects
 * with the signal's reason (a `TimeoutError` for a per-call timeout).
 */
export async function invoke<T>(
  call: (init: CallInit) => Promise<ClientResult<T>>,
  context: InvokeContext,
): Promise<T | undefined> {
  const { pipeline, operation, callOptions } = context;
  const { provider, clock } = pipeline;
  const signal = callOptions?.signal;
  const fetch = pipeline.fetchFor(callOptions?.timeoutMs);
  let result: ClientResult<T>;
  try {
    result = await call(signal ? { signal, fetch } : { fetch });
  } catch (error) {
    throw translateFailure(error, signal, provider, operation);
  }
  const { response } = result;
  if (!response.ok) throw apiErrorOf(response, result.error, provider, operation, clock);
  return result.data;
}

/** Builds the typed error for a non-2xx response. */
export function apiErrorOf(
  response: Response,
  body: unknown,
  provider: Provider,
  operation: string,
  clock: Clock,
): ApiError {
  return createApiError({
    status: response.status,
    provider,
    operation,
    headers: response.headers,
    body,
    retryAfterMs: parseRetryAfter(response.headers, clock.now()),
  });
}

/**
 * Maps what a call threw to what the caller sees: the abort reason when the
 * call's signal fired, sandgate errors as they are, a JSON syntax error as an
 * {@link UnexpectedResponseError}, an error thrown by the caller's own
 * callbacks (see `callback.ts`) as it is, anything else as a {@link NetworkError}.
 */
export function translateFailure(
  error: unknown,
  signal: AbortSignal | undefined,
  provider: Provider,
  operation: string,
): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof SandgateError || isCallbackError(error)) return error;
  const prefix = `${providerName(provider)} ${operation}`;
  if (error instanceof SyntaxError) {
    return new UnexpectedResponseError(`${prefix}: the response body is not valid JSON`, {
      cause: error,
    });
  }
  if (error instanceof DOMException && error.name === "AbortError") return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new NetworkError(`${prefix}: network error: ${reason}`, { cause: error });
}

/** The JSON type a response field must have. */
export type FieldKind =
  | "string"
  | "number"
  | "integer"
  | "boolean"
  | "date-time"
  | "epoch-ms"
  | "string[]";

/**
 * How one field is checked: its kind (with `?` when it may be absent or
 * `null`), or `{ list: shape }` for a required array of objects.
 */
export type FieldRule =
  | FieldKind
  | `${FieldKind}?`
  // deno-lint-ignore no-explicit-any
  | { readonly list: Shape<any> };

/** A rule for every field of `T`: the compiler insists that none is forgotten. */
export type Shape<T> = { readonly [K in keyof T]-?: FieldRule };

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function matches(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "date-time":
      return typeof value === "string" && Number.isFinite(Date.parse(value));
    case "epoch-ms":
      // An integer a Date can hold (±8.64e15 ms).
      return typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= 8.64e15;
    case "string[]":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
  }
}

/**
 * Checks a success body against `shape` and returns it typed. Throws an
 * {@link UnexpectedResponseError} naming the operation and the first missing
 * or mistyped field (its type, never its value: it may be a token).
 */
export function requireFields<T>(
  provider: Provider,
  operation: string,
  body: unknown,
  shape: Shape<T>,
  path = "response",
): T {
  const fail = (rule: string) =>
    new UnexpectedResponseError(`${providerName(provider)} ${operation}: ${path}${rule}`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw fail(` must be a JSON object (got ${body === undefined ? "nothing" : typeName(body)})`);
  }
  const record = body as Record<string, unknown>;
  for (const [field, rule] of Object.entries(shape) as [string, FieldRule][]) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (typeof rule === "object") {
      if (!Array.isArray(value)) throw fail(`.${field} must be an array (got ${typeName(value)})`);
      value.forEach((item, i) =>
        requireFields(provider, operation, item, rule.list, `${path}.${field}[${i}]`)
      );
      continue;
    }
    const optional = rule.endsWith("?");
    const kind = (optional ? rule.slice(0, -1) : rule) as FieldKind;
    if (value === undefined || value === null) {
      if (optional) continue;
      throw fail(`.${field} is missing`);
    }
    if (!matches(kind, value)) {
      throw fail(
        `.${field} must be ${/^[aeiu]/.test(kind) ? "an" : "a"} ${kind} (got ${typeName(value)})`,
      );
    }
  }
  return record as T;
}

/**
 * For a create call: the kind of resource it creates, and how to remove one
 * by id when the answer fails the check.
 */
export interface Created {
  /** The resource's kind: how errors name it and which answer field holds its id. */
  kind: HandleKind;
  /** Removes the resource with this id. */
  remove(id: string): Promise<unknown>;
}

/**
 * Checks the answer to a create call like {@link requireFields}, so that a
 * create that took effect is never lost: when the answer fails the check but
 * names the new resource (its kind's `createdIdField` is a non-empty string),
 * `remove(id)` is called before the {@link UnexpectedResponseError} is thrown;
 * the error says whether it worked and carries the id as `createdId`, so the
 * caller can clean up otherwise.
 */
export async function requireCreated<T>(
  provider: Provider,
  operation: string,
  body: unknown,
  shape: Shape<T>,
  created: Created,
): Promise<T> {
  try {
    return requireFields(provider, operation, body, shape);
  } catch (error) {
    const { createdIdField, what } = created.kind;
    const id = typeof body === "object" && body !== null
      ? (body as Record<string, unknown>)[createdIdField]
      : undefined;
    if (typeof id !== "string" || id === "") throw error;
    let outcome: string;
    try {
      await created.remove(id);
      outcome = `the ${what} it created was removed`;
    } catch {
      outcome = `the ${what} it created could not be removed (its id is ` +
        "`createdId` on this error): it may still be running";
    }
    // The id goes on the error, not into the message (a hostile answer may put anything there).
    throw new UnexpectedResponseError(`${(error as Error).message}; ${outcome}`, {
      cause: error,
      createdId: id,
    });
  }
}

/** What {@link invokeChecked} checks a success body against. */
export interface Expected<S> {
  /** The fields the answer promises. */
  shape: Shape<S>;
  /** For a create call: what it creates, removed when the answer fails the check. */
  created?: Created;
}

/**
 * One operation's whole request path, its name written once in `context`:
 * {@link invoke}, then the answer checked against `expected`
 * ({@link requireFields}, or {@link requireCreated} for a create call).
 */
export async function invokeChecked<S>(
  call: (init: CallInit) => Promise<ClientResult<unknown>>,
  context: InvokeContext,
  expected: Expected<S>,
): Promise<S> {
  const data = await invoke(call, context);
  const { operation } = context;
  const { provider } = context.pipeline;
  return expected.created
    ? await requireCreated(provider, operation, data, expected.shape, expected.created)
    : requireFields(provider, operation, data, expected.shape);
}
