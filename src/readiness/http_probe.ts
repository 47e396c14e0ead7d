/**
 * One readiness attempt against an HTTP URL: who answered, the user's
 * service or the gateway in front of it?
 *
 * Prime Intellect documents neither what an exposed URL answers while
 * nothing listens on the port inside the sandbox, nor a header that marks
 * the gateway's own answers. What is documented or visible upstream: their
 * SDK treats 500/502/503/504/524 from its gateway as transient
 * (PrimeIntellect-ai/prime `packages/prime-sandboxes/src/prime_sandboxes/sandbox.py`
 * @66fb4b7, `RETRYABLE_5XX_STATUSES`), its gateway's own errors are 502s
 * with a JSON `{ error, message, code }` body (same file,
 * `_is_gateway_sandbox_not_found`), and RFC 9110 §15.6.3–15.6.5 define
 * 502/503/504 as a gateway's or an unavailable server's answers. So the
 * assumption, written down in docs/providers.md: **502, 503, 504 and the 52x family
 * proxies such as Cloudflare send (520–527, 530) mean "not yet"**, whatever
 * the body (an HTML error page, the gateway's JSON); so do network errors
 * (refused, reset, TLS or DNS not ready) and an attempt that takes too
 * long. Any other answer, 3xx/4xx/500 included, came from a server that
 * listens: ready, unless the caller's `isReady` says otherwise. A service
 * that itself answers 502–504 is "not ready" until it stops.
 *
 * The request carries no credentials (the URL is the user's service, not
 * the API), follows no redirect (a redirect is an answer), and its body is
 * not read unless `isReady` reads it.
 *
 * @module
 */
import type { FetchLike } from "../options.ts";
import type { Probe, ProbeOutcome } from "./wait.ts";
import { READINESS } from "./wait.ts";

/** Statuses that mean "the gateway answered: nothing serves behind it yet". */
export function isGatewayStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504 ||
    (status >= 520 && status <= 527) || status === 530;
}

/** What {@link httpProbe} sends with. */
export interface HttpProbeOptions {
  /** The client's `fetch`. */
  fetch: FetchLike;
  /** `User-Agent` header. */
  userAgent: string;
  /** Decides whether a non-gateway answer counts. */
  isReady?: ((response: Response) => boolean | Promise<boolean>) | undefined;
  /** Longest one attempt may take (real time). Default {@link READINESS.attemptTimeoutMs}. */
  attemptTimeoutMs?: number;
}

/** Why a `fetch` failed, in a few words. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const name = (error as { name?: unknown } | null)?.name;
  return `no answer (${code ?? (typeof name === "string" ? name : "network error")})`;
}

/** A probe that sends `GET url` and classifies the answer (see the module doc). */
export function httpProbe(url: string, options: HttpProbeOptions): Probe {
  const attemptMs = options.attemptTimeoutMs ?? READINESS.attemptTimeoutMs;
  return async (signal): Promise<ProbeOutcome> => {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => attempt.abort(new Error("attempt timed out")), attemptMs);
    let response: Response | undefined;
    try {
      try {
        response = await options.fetch(
          new Request(url, {
            method: "GET",
            headers: { "user-agent": options.userAgent },
            redirect: "manual",
            signal: attempt.signal,
          }),
        );
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (attempt.signal.aborted) {
          return { ready: false, reason: `no answer within ${attemptMs} ms` };
        }
        return { ready: false, reason: networkReason(error) };
      }
      if (response.type === "opaqueredirect") return { ready: true, answer: "a redirect" };
      const { status } = response;
      if (isGatewayStatus(status)) {
        return { ready: false, reason: `HTTP ${status} from the gateway` };
      }
      // The caller's own check: what it throws is handed back as it is.
      if (options.isReady && !(await options.isReady(response))) {
        return { ready: false, reason: `HTTP ${status}, not ready by isReady` };
      }
      return { ready: true, answer: `HTTP ${status}` };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      // Whatever isReady left unread: never buffered, and the connection is let go.
      response?.body?.cancel().catch(() => {});
    }
  };
}
