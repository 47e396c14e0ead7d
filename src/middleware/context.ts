/**
 * The shapes every middleware shares. A {@link Handler} sends one request; a
 * {@link Middleware} wraps a handler in another (hono / koa style), and
 * `compose` (./compose.ts) stacks them in order, outermost first.
 *
 * @module
 */
import type { Provider } from "../provider.ts";

/** What the middleware stack knows about the call a request belongs to. */
export interface CallContext {
  /** Provider the request goes to. */
  readonly provider: Provider;
  /** Friendly operation name, e.g. `"exposePort"`; the method and path when unknown. */
  readonly operation: string;
  /** Sandbox the request is about: part of the rate-limit key. */
  readonly sandboxId: string;
  /** The configured origin: the only one `Authorization` is ever sent to. */
  readonly origin: string;
  /** 1 for the first attempt, 2 for the first retry, and so on. */
  attempt: number;
  /**
   * Short hash of the API key in use, set by the auth middleware: part of the
   * rate-limit key. Never the key itself.
   */
  tokenHash: string;
  /**
   * The call's own budget (a per-call `timeoutMs`), set by the pipeline: the
   * timeout middleware arms one timer for the shorter of it and the client's.
   */
  timeoutMs?: number | undefined;
  /**
   * When the call's budget ends (clock milliseconds), set by the timeout
   * middleware: the one deadline of the call. Retries that could not start
   * before it are not attempted; a rate-limit wait that would end after it fails at once.
   */
  deadline?: number | undefined;
  /**
   * The call's credential when it is not the client's key (an SSH gateway's
   * session token), set by the pipeline: the auth middleware sends and
   * redacts it instead.
   */
  bearer?: (() => string) | undefined;
  /**
   * The call's signal (the request's own, combined with the call's timeout),
   * set by the timeout middleware. Layers below use it instead of
   * `request.signal`, so the request need not be re-wrapped to carry it.
   */
  signal?: AbortSignal | undefined;
  /**
   * The request body, read once at the top of the stack (`null`: no body).
   * Set by sandgate's pipeline: the auth middleware then builds each
   * attempt's `Request` from these bytes and {@link CallContext.signal}, so
   * no layer copies or re-wraps the request. When unset, the timeout
   * middleware re-wraps the request to attach its signal and retries send
   * copies of it.
   */
  body?: ArrayBuffer | string | null | undefined;
}

/** Sends one request and resolves with its response. */
export type Handler = (request: Request, context: CallContext) => Promise<Response>;

/** Wraps a handler with one concern (auth, retries, …). */
export type Middleware = (next: Handler) => Handler;
