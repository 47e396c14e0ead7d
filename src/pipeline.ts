/**
 * The one request pipeline of a client: a {@link Pipeline} per client owns
 * the middleware stack
 *
 *   timeout → retry → auth → rate limit → network errors → `fetch`
 *
 * and everything a request goes through on its way out: the key and the
 * routing headers, events, redaction, and the call's one deadline. The
 * low-level openapi-fetch client sends through {@link Pipeline.fetch}; a call
 * built by hand (the SSH gateway's authorize) through {@link Pipeline.send};
 * a WebSocket through {@link Pipeline.openWebSocket} (src/websocket/: the
 * same key and routing headers, events, redaction and a connect deadline).
 *
 * The stack itself (src/stack.ts) is built on the first call, from
 * a module loaded with `import()`: what `import "sandgate"` loads is the
 * client's shape and its option checks, not its sending machinery.
 *
 * Retries live inside the pipeline, so openapi-fetch sees one response per
 * call and the request body is read once. Redirects are followed by the auth
 * middleware, hop by hop, so each hop is rate limited and only hops to the
 * configured origin carry the key.
 *
 * @module
 */
import createClient, {
  type Client,
  type Middleware as OpenApiMiddleware,
  type PathSerializer,
} from "openapi-fetch";
import { ConfigError, type Provider } from "./errors.ts";
import type { ProviderProfile } from "./profile.ts";
import type { SandgateEvent } from "./events.ts";
import type { CallContext, Handler } from "./middleware/context.ts";
import type { Stack } from "./stack.ts";
import { FirstUse } from "./util/first_use.ts";
import type { NormalizedOptions } from "./normalize.ts";
import { type FetchLike, USER_AGENT } from "./options.ts";
import type { Clock } from "./util/clock.ts";
import { assertPathId, parseSecureUrl } from "./validate.ts";
import { carried, urlOf } from "./http/outgoing.ts";
import {
  type Carried,
  requestClass,
  serializedBody,
  simplePathSerializer,
} from "./http/openapi_request.ts";
import type { WebSocketChannel } from "./websocket/channel.ts";
import type { ChannelEnd } from "./websocket/protocol.ts";
import type { ChannelRequest, openWebSocket } from "./websocket/open.ts";

/** What a client's pipeline is built for, besides its options. */
export interface PipelineInit {
  /** The provider's names, policy and key source. */
  profile: ProviderProfile;
  /** The API's base URL: `https:` (loopback may use `http:`). */
  baseUrl: string;
  /**
   * Headers every request to the base URL carries, e.g. Tensorlake's
   * `X-Tensorlake-Sandbox-Id` when a proxy routes by it (WebSocket upgrades too).
   */
  routingHeaders?: Readonly<Record<string, string>> | undefined;
  /**
   * The WebSocket opener ({@link openWebSocket} of src/websocket/open.ts), for
   * a provider whose client opens WebSockets: attached here, by the provider,
   * so a bundle of a client that opens none carries no WebSocket code.
   */
  webSockets?: typeof openWebSocket | undefined;
}

/** A call that is not one of the low-level client's (see {@link Pipeline.send}). */
export interface CallSpec {
  /** Friendly operation name, e.g. `"authorizeKey"`. */
  operation: string;
  /** Sandbox the call is about (part of the rate-limit key); default none. */
  sandboxId?: string;
  /** The call's own budget (per-call `timeoutMs`): the client's still applies. */
  timeoutMs?: number | undefined;
  /**
   * Sends to this origin with this bearer instead of the client's key (a
   * session token on a gateway): redacted as the key is, never rate limited
   * client-side (no budget is documented for it).
   */
  bearer?: { origin: string; token: string };
}

/** Headers for a WebSocket upgrade to the client's origin (see {@link Pipeline.upgrade}). */
export interface UpgradeAuth {
  /** `Authorization` when a key is available, and the routing headers. */
  headers: Record<string, string>;
  /** What must never appear in a message about the upgrade: the key, if any. */
  secrets: string[];
}

/**
 * The pipeline of one client. Built once per client from its normalized
 * options; the handles of the high-level API hold it (narrowly: provider,
 * clock, the openapi-fetch `fetch` for a call, {@link send}, {@link upgrade}).
 */
export class Pipeline {
  /** Provider the client talks to. */
  readonly provider: Provider;
  /** The client's clock. */
  readonly clock: Clock;
  /** Validated base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** The base URL's origin: the only one `Authorization` (the API key) is ever sent to. */
  readonly origin: string;
  /** openapi-fetch middleware: rejects unfilled path templates; call bookkeeping. */
  readonly guard: OpenApiMiddleware;
  /** openapi-fetch path serializer that validates every path parameter first. */
  readonly pathSerializer: PathSerializer;
  /** The `fetch` handed to openapi-fetch: runs the middleware stack. */
  readonly fetch: FetchLike;
  /** The client's event sink (`onEvent`, `debug`), for work outside a request (re-attaching). */
  readonly emit: ((event: SandgateEvent) => void) | undefined;

  readonly #profile: ProviderProfile;
  readonly #options: NormalizedOptions;
  readonly #routing: Readonly<Record<string, string>>;
  readonly #webSockets: typeof openWebSocket | undefined;
  readonly #contexts = new WeakMap<Request, CallContext>();
  readonly #stack: FirstUse<Stack>;

  constructor(init: PipelineInit, options: NormalizedOptions) {
    const { profile, baseUrl } = init;
    const url = parseSecureUrl(
      baseUrl,
      (rule) => new ConfigError(`baseUrl: ${rule} (got ${JSON.stringify(baseUrl)})`),
    );
    this.provider = profile.provider;
    this.clock = options.clock;
    this.emit = options.emit;
    this.origin = url.origin;
    this.baseUrl = url.href.replace(/\/+$/, "");
    this.#profile = profile;
    this.#options = options;
    this.#routing = init.routingHeaders ?? {};
    this.#stack = new FirstUse(() =>
      import("./stack.ts").then(({ buildStack }) => buildStack(profile, options))
    );
    this.#webSockets = init.webSockets;

    // Path parameters are checked while openapi-fetch builds the URL, before
    // encodeURIComponent can throw (lone surrogates) and before any Request exists.
    this.pathSerializer = (pathname, pathParams) => {
      for (const [name, value] of Object.entries(pathParams)) assertPathId(name, value);
      return simplePathSerializer(pathname, pathParams);
    };
    this.guard = {
      onRequest: ({ request, schemaPath, params }) => {
        const path = (params as { path?: Record<string, unknown> } | undefined)?.path;
        const requestUrl = urlOf(request);
        if (/%7B|%7D|[{}]/i.test(requestUrl.pathname)) {
          const missing = /\{([^}]+)\}/.exec(decodeURIComponent(requestUrl.pathname))?.[1] ??
            "path";
          assertPathId(missing, undefined);
        }
        // Set in place: the pipeline keys its bookkeeping by this Request object.
        for (const [name, value] of Object.entries(this.#routing)) {
          request.headers.set(name, value);
        }
        const key = `${request.method} ${schemaPath}`;
        const context = this.#context(
          profile.operations[key] ?? key,
          profile.sandboxIdOf(path, requestUrl),
        );
        const own = carried<Carried>(request);
        if (own) own.context = context;
        else this.#contexts.set(request, context);
        return undefined;
      },
    };
    this.fetch = (request) => this.#run(request, this.#contextOf(request), limitedStack);
  }

  /**
   * The `fetch` for one call of the low-level client, carrying its per-call
   * budget into the one timer of the timeout middleware (pass it as the
   * call's `fetch` option).
   */
  fetchFor(timeoutMs: number | undefined): FetchLike {
    if (timeoutMs === undefined) return this.fetch;
    return (request) => {
      const context = this.#contextOf(request);
      context.timeoutMs = timeoutMs;
      return this.#run(request, context, limitedStack);
    };
  }

  /**
   * Sends a request that is not one of the low-level client's through the
   * same stack: timeout, retries with the provider's policy, redirects, auth,
   * network errors and events. With `call.bearer`, it goes to that origin
   * with that token instead of the API key, and no client-side budget applies.
   */
  send(request: Request, call: CallSpec): Promise<Response> {
    const context = this.#context(call.operation, call.sandboxId ?? "", call.bearer?.origin);
    if (call.timeoutMs !== undefined) context.timeoutMs = call.timeoutMs;
    if (!call.bearer) return this.#run(request, context, limitedStack);
    const { token } = call.bearer;
    context.bearer = () => token;
    return this.#run(request, context, unlimitedStack);
  }

  /**
   * For a WebSocket upgrade to the client's origin: the routing headers and,
   * when a key is available, `Authorization` with the same key the HTTP calls
   * send (one resolver). A missing key is no error here: some upgrades are
   * authorized by a token of their own.
   */
  async upgrade(): Promise<UpgradeAuth> {
    const headers: Record<string, string> = { ...this.#routing };
    // Outside the `try`: a stack that failed to load is that failure, not a missing key.
    const stack = await this.#stack.get(this.clock);
    try {
      const key = await stack.apiKey();
      headers.Authorization = `Bearer ${key}`;
      return { headers, secrets: [key] };
    } catch {
      return { headers, secrets: [] };
    }
  }

  /**
   * Opens a WebSocket through this pipeline: the {@link upgrade} headers
   * (routing, and the bearer from the one key resolver; only for a URL on the
   * client's origin) under the request's own, every secret redacted from what
   * comes back, the connect deadline on the client's clock, and the upgrade
   * reported to `onEvent` / `debug` as a request and its response.
   */
  async openWebSocket<E extends ChannelEnd>(
    request: ChannelRequest<E>,
  ): Promise<WebSocketChannel<E>> {
    const open = this.#webSockets;
    if (!open) throw new TypeError(`${this.provider}: this client opens no WebSocket`);
    const auth = await this.upgrade();
    const sameOrigin = new URL(request.url.replace(/^ws/, "http")).origin === this.origin;
    return await open<E>({
      ...request,
      provider: this.provider,
      clock: this.clock,
      emit: this.#options.emit,
      headers: { ...(sameOrigin ? auth.headers : {}), ...request.headers },
      secrets: [...auth.secrets, ...(request.secrets ?? [])],
    });
  }

  /** The routing headers every request to the origin carries. */
  get routingHeaders(): Readonly<Record<string, string>> {
    return this.#routing;
  }

  #context(operation: string, sandboxId: string, origin = this.origin): CallContext {
    return { provider: this.provider, operation, sandboxId, origin, attempt: 1, tokenHash: "" };
  }

  /** The context the guard recorded, or one named by method and path (a caller's own `fetch` use). */
  #contextOf(request: Request): CallContext {
    const known = carried<Carried>(request)?.context ?? this.#contexts.get(request);
    if (known) return known;
    const url = urlOf(request);
    const key = `${request.method} ${url.pathname}`;
    return this.#context(
      this.#profile.operations[key] ?? key,
      this.#profile.sandboxIdOf(undefined, url),
    );
  }

  #run(
    request: Request,
    context: CallContext,
    which: (stack: Stack) => Handler,
  ): Promise<Response> {
    // `FirstUse.use` spelt out: the request path allocates no closure once the stack is loaded.
    const stack = this.#stack.value;
    if (stack === undefined) {
      return this.#stack.get(this.clock).then((loaded) =>
        this.#send(request, context, which(loaded))
      );
    }
    return this.#send(request, context, which(stack));
  }

  #send(request: Request, context: CallContext, handler: Handler): Promise<Response> {
    // The body is read once, here: every layer below reuses these bytes (retries
    // need no copy) and the auth middleware builds the one `Request` each attempt sends.
    // openapi-fetch serializes JSON bodies to a string: take it as it was
    // given instead of reading the Request's stream back (a costly async read).
    // Looked up first: reading `request.body` makes some runtimes (Deno) build a stream.
    const serialized = serializedBody(request);
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
  }
}

const limitedStack = (stack: Stack) => stack.limited;
const unlimitedStack = (stack: Stack) => stack.unlimited();

/**
 * An openapi-fetch client typed by `Paths` that sends through `pipeline`:
 * the one place both providers' low-level clients are assembled.
 */
// deno-lint-ignore ban-types -- openapi-fetch's own constraint on Paths
export function createGatewayClient<Paths extends {}>(pipeline: Pipeline): Client<Paths> {
  // Deferred requests (src/http/outgoing.ts) until a caller adds openapi-fetch
  // middleware of their own, which may build runtime `Request`s from ours.
  let real = false;
  const client = createClient<Paths>({
    baseUrl: pipeline.baseUrl,
    fetch: pipeline.fetch,
    pathSerializer: pipeline.pathSerializer,
    headers: { "user-agent": USER_AGENT },
    Request: requestClass(() => real),
  });
  client.use(pipeline.guard);
  const use = client.use;
  client.use = (...middleware) => {
    real = true;
    use(...middleware);
  };
  return client;
}
