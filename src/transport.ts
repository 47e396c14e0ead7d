/**
 * Builds the request pipeline both providers' clients share: an openapi-fetch
 * middleware that checks path parameters and records which call a request
 * belongs to, and a custom `fetch` that runs the middleware stack
 *
 *   timeout → retry → auth → rate limit → network errors → `fetch`
 *
 * Retries live inside the custom `fetch`, so openapi-fetch sees one response
 * per call and the request body is cloned only where a retry may need it.
 * Redirects are followed by the auth middleware, hop by hop, so each hop is
 * rate limited and only hops to the configured origin carry the key.
 *
 * Option values are checked here: a bad one is a `ConfigError` at client
 * creation, not a surprise at the first call.
 *
 * @module
 */
import createClient, {
  type Client,
  defaultPathSerializer,
  type Middleware as OpenApiMiddleware,
  type PathSerializer,
} from "openapi-fetch";
import { ConfigError, describeValue, type Provider } from "./errors.ts";
import { authMiddleware } from "./middleware/auth.ts";
import { guardClock } from "./util/callback.ts";
import { type Clock, systemClock } from "./util/clock.ts";
import { defaultFetch } from "./http/default_fetch.ts";
import { networkErrorMiddleware } from "./middleware/network.ts";
import { rateLimitMiddleware } from "./middleware/rate_limit.ts";
import { retryMiddleware } from "./middleware/retry.ts";
import { timeoutMiddleware } from "./middleware/timeout.ts";
import { compose } from "./middleware/compose.ts";
import type { CallContext, Handler, Middleware } from "./middleware/types.ts";
import type { KeyFile } from "./env.ts";
import { eventSink, reportingFetch, reportWait, retryReporter } from "./events.ts";
import { type ClientOptions, type FetchLike, USER_AGENT } from "./options.ts";
import { assertPathId, parseSecureUrl } from "./validate.ts";

/** Defaults that hold for every provider. */
export const DEFAULTS = {
  // Room for a full rate-limit window (60.5 s) of queueing plus a slow request.
  timeoutMs: 120_000,
  rateLimit: { limit: 20, windowMs: 60_000, marginMs: 500 },
  retry: { retries: 3, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryDelayMs: 60_000 },
} as const;

/** A request budget a provider documents: `limit` requests per `windowMs`. */
export interface RateBudget {
  /** Operations with the same bucket share one budget. */
  bucket: string;
  /** Requests per window. */
  limit: number;
  /** Window in milliseconds. */
  windowMs: number;
}

/**
 * A provider's retry and rate-limit policy, as data: what it documents (and
 * what sandgate assumes where it documents nothing). The middleware reads it.
 */
export interface ProviderPolicy {
  /**
   * Client-side budget per friendly operation name, keyed further by origin,
   * token and sandbox id. An operation not listed has no client-side limit.
   */
  rateLimits: Readonly<Record<string, RateBudget>>;
  /** HTTP statuses retried, for idempotent methods and for the others (POST). */
  retryStatuses: { idempotent: readonly number[]; other: readonly number[] };
}

/** What differs between providers. */
export interface ProviderProfile {
  /** Provider id. */
  provider: Provider;
  /** Environment variable with the API key. */
  envVar: string;
  /** The config file the key is also read from, if any: named when no key is found. */
  keyFile?: KeyFile;
  /** `"METHOD /schema/path"` → friendly operation name. */
  operations: Readonly<Record<string, string>>;
  /** Sandbox id for a request (rate-limit key), from its path parameters or URL. */
  sandboxIdOf(params: Record<string, unknown> | undefined, url: URL): string;
  /** Retry and rate-limit policy. */
  policy: ProviderPolicy;
}

/** The parts a provider client is assembled from. */
export interface Transport {
  /** Validated base URL, without a trailing slash. */
  baseUrl: string;
  /** openapi-fetch middleware: rejects unfilled path templates; call bookkeeping. */
  guard: OpenApiMiddleware;
  /** openapi-fetch path serializer that validates every path parameter first. */
  pathSerializer: PathSerializer;
  /** The `fetch` handed to openapi-fetch: runs the middleware stack. */
  fetch: FetchLike;
}

/** Validates `baseUrl` and builds the pipeline for one client. */
export function createTransport(
  profile: ProviderProfile,
  baseUrl: string,
  options: ClientOptions,
): Transport {
  const url = parseSecureUrl(
    baseUrl,
    (rule) => new ConfigError(`baseUrl: ${rule} (got ${JSON.stringify(baseUrl)})`),
  );
  const origin = url.origin;
  const normalized = url.href.replace(/\/+$/, "");
  // A custom clock is the caller's code: what it throws is handed back as it is.
  const clock: Clock = options.clock ? guardClock(options.clock) : systemClock;
  const userFetch: FetchLike = options.fetch ?? defaultFetch;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  checkPositive("timeoutMs", timeoutMs, false, true);

  const emit = eventSink(options.onEvent, options.debug);

  const stack: Middleware[] = [timeoutMiddleware({ timeoutMs, clock })];
  if (options.retry !== false) {
    const retry = { ...DEFAULTS.retry, ...stripUndefined(options.retry ?? {}) };
    checkInteger("retry.retries", retry.retries, 0);
    checkPositive("retry.baseDelayMs", retry.baseDelayMs, true);
    checkPositive("retry.maxDelayMs", retry.maxDelayMs, true);
    checkPositive("retry.maxRetryDelayMs", retry.maxRetryDelayMs, true, true);
    stack.push(
      retryMiddleware({
        ...retry,
        statuses: profile.policy.retryStatuses,
        onRetry: retryReporter(options.onRetry, emit),
        clock,
      }),
    );
  }
  stack.push(
    authMiddleware({
      provider: profile.provider,
      apiKey: options.apiKey,
      envVar: profile.envVar,
      keyFile: profile.keyFile,
      clock,
    }),
  );
  // An explicit `limit` or `windowMs` is one budget for every call (the old
  // behaviour); otherwise the provider's documented budgets apply, per operation.
  const custom = options.rateLimit !== false && options.rateLimit !== undefined &&
    (options.rateLimit.limit !== undefined || options.rateLimit.windowMs !== undefined);
  const budgets = profile.policy.rateLimits;
  if (options.rateLimit !== false && (custom || Object.keys(budgets).length > 0)) {
    const rateLimit = { ...DEFAULTS.rateLimit, ...stripUndefined(options.rateLimit ?? {}) };
    checkInteger("rateLimit.limit", rateLimit.limit, 1);
    checkPositive("rateLimit.windowMs", rateLimit.windowMs);
    checkPositive("rateLimit.marginMs", rateLimit.marginMs, true);
    if (rateLimit.maxWaitMs !== undefined) {
      checkPositive("rateLimit.maxWaitMs", rateLimit.maxWaitMs, true, true);
    }
    const { onRateLimit } = options;
    stack.push(rateLimitMiddleware({
      ...rateLimit,
      ...(custom ? {} : { budgetOf: (context) => budgets[context.operation] }),
      onRateLimit: emit
        ? (info) => {
          onRateLimit?.(info);
          reportWait(emit, info, 0);
        }
        : onRateLimit,
      ...(emit ? { onWaitProgress: (info, elapsedMs) => reportWait(emit, info, elapsedMs) } : {}),
      clock,
    }));
  }
  stack.push(networkErrorMiddleware());
  const send = reportingFetch(userFetch, emit, clock);
  const handler: Handler = compose(stack, (request, context) => send(request, context.operation));

  const contexts = new WeakMap<Request, CallContext>();
  const callContext = (operation: string, sandboxId: string): CallContext => ({
    provider: profile.provider,
    operation,
    sandboxId,
    origin,
    attempt: 1,
    tokenHash: "",
  });
  // A request openapi-fetch did not build (a caller's own `fetch` use): named by method and path.
  const unknownCall = (request: Request): CallContext => {
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    return callContext(profile.operations[key] ?? key, profile.sandboxIdOf(undefined, url));
  };
  // Path parameters are checked while openapi-fetch builds the URL, before
  // encodeURIComponent can throw (lone surrogates) and before any Request exists.
  const pathSerializer: PathSerializer = (pathname, pathParams) => {
    for (const [name, value] of Object.entries(pathParams)) assertPathId(name, value);
    return defaultPathSerializer(pathname, pathParams);
  };
  const guard: OpenApiMiddleware = {
    onRequest({ request, schemaPath, params }) {
      const path = (params as { path?: Record<string, unknown> } | undefined)?.path;
      const requestUrl = new URL(request.url);
      if (/%7B|%7D|[{}]/i.test(requestUrl.pathname)) {
        const missing = /\{([^}]+)\}/.exec(decodeURIComponent(requestUrl.pathname))?.[1] ?? "path";
        assertPathId(missing, undefined);
      }
      const key = `${request.method} ${schemaPath}`;
      contexts.set(
        request,
        callContext(profile.operations[key] ?? key, profile.sandboxIdOf(path, requestUrl)),
      );
      return undefined;
    },
  };

  const fetch: FetchLike = (request) => {
    const context = contexts.get(request) ?? unknownCall(request);
    // The body is read once, here: every layer below reuses these bytes (retries
    // need no copy) and the auth middleware builds the one `Request` each attempt sends.
    // openapi-fetch serializes JSON bodies to a string: take it as it was
    // given instead of reading the Request's stream back (a costly async read).
    // Looked up first: reading `request.body` makes some runtimes (Deno) build a stream.
    const serialized = serializedBodies.get(request);
    if (serialized !== undefined) {
      context.body = serialized;
      return handler(request, context);
    }
    if (request.body === null) {
      context.body = null;
      return handler(request, context);
    }
    return request.arrayBuffer().then((body) => {
      context.body = body;
      return handler(request, context);
    });
  };

  return { baseUrl: normalized, guard, pathSerializer, fetch };
}

/**
 * An openapi-fetch client typed by `Paths` that sends through the provider's
 * pipeline: the one place both providers' low-level clients are assembled.
 */
// deno-lint-ignore ban-types -- openapi-fetch's own constraint on Paths
export function createGatewayClient<Paths extends {}>(
  profile: ProviderProfile,
  baseUrl: string,
  options: ClientOptions,
): Client<Paths> {
  const transport = createTransport(profile, baseUrl, options);
  const client = createClient<Paths>({
    baseUrl: transport.baseUrl,
    fetch: transport.fetch,
    pathSerializer: transport.pathSerializer,
    headers: { "user-agent": USER_AGENT },
    Request: RequestKeepingBody,
  });
  client.use(transport.guard);
  return client;
}

/** JSON bodies as openapi-fetch serialized them, keyed by the Request built from them. */
const serializedBodies = new WeakMap<Request, string>();

/**
 * The `Request` "class" handed to openapi-fetch: builds a plain `Request` and
 * remembers its string body, so the transport need not read the stream back.
 * A function, not `class extends Request`: touching the global `Request` at
 * import time makes Node 20 load its fetch implementation (~10 ms) on import.
 */
const RequestKeepingBody = function (input: RequestInfo | URL, init?: RequestInit): Request {
  const request = new Request(input, init);
  if (typeof init?.body === "string") serializedBodies.set(request, init.body);
  return request;
} as unknown as typeof Request;
// openapi-fetch checks a middleware's returned request with `instanceof` this "class".
Object.defineProperty(RequestKeepingBody, Symbol.hasInstance, {
  value: (value: unknown) => value instanceof Request,
});

function checkPositive(name: string, value: unknown, allowZero = false, allowInfinity = false) {
  const ok = typeof value === "number" && (value > 0 || (allowZero && value === 0)) &&
    (Number.isFinite(value) || allowInfinity);
  if (!ok) {
    throw new ConfigError(
      `${name}: must be a number ${allowZero ? "≥ 0" : "> 0"} (got ${describeValue(value)})`,
    );
  }
}

function checkInteger(name: string, value: unknown, min: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name}: must be an integer ≥ ${min} (got ${describeValue(value)})`);
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
