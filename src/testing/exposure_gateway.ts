/**
 * The emulated gateway in front of HTTP exposures: a request to an
 * exposure's URL reaches the service declared for its port
 * (`createEmulator({ services: { 8000: "127.0.0.1:8000" } })`), or gets the
 * gateway's own answer — a 502 with an HTML page, as a load balancer sends —
 * while nothing is declared or the service refuses. That is what
 * `waitUntilReady()` tells apart (the assumption in docs/providers.md: Prime documents
 * no such answer).
 *
 * Exposure URLs: served over HTTP, an exposure of a port with a
 * `host:port` service gets `{server}/exposed/{exposure_id}` on the
 * emulator's own loopback origin (a real client can fetch it, and no name is
 * resolved); otherwise it keeps `https://{port}-{sandbox}.emulator.sandgate.invalid`,
 * which only the in-process `emulator.fetch` answers. Handler services
 * (TCP handlers) are not spoken HTTP to: their exposures answer 502.
 *
 * @module
 */
import type { Exposure } from "./state.ts";
import type { ServiceMap } from "./tcp_services.ts";

/** The path prefix of served exposure URLs. */
export const EXPOSED_PREFIX = "/exposed/";

/** The gateway's answer when nothing serves behind an exposure (the fault kind "502" sends the same). */
export function badGateway(): Response {
  return new Response(
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    { status: 502, headers: { "content-type": "text/html" } },
  );
}

/** Where a request to an exposure goes: the exposure and the path behind it. */
export interface ExposureRequest {
  exposure: Exposure;
  /** Path and query for the service, starting with `/`. */
  rest: string;
}

/**
 * The exposure a request is addressed to, by URL (`/exposed/{id}/…` on the
 * emulator's origin, or an exposure's own `https://…invalid` host), or
 * `undefined` for API traffic.
 */
export function exposureRequest(
  url: URL,
  exposures: () => Iterable<Exposure>,
): ExposureRequest | undefined {
  if (url.pathname.startsWith(EXPOSED_PREFIX)) {
    const [id = "", ...tail] = url.pathname.slice(EXPOSED_PREFIX.length).split("/");
    for (const exposure of exposures()) {
      if (exposure.exposureId === id && exposure.protocol === "HTTP") {
        return { exposure, rest: `/${tail.join("/")}${url.search}` };
      }
    }
    return undefined;
  }
  if (!url.hostname.endsWith(".emulator.sandgate.invalid")) return undefined;
  for (const exposure of exposures()) {
    if (exposure.protocol === "HTTP" && new URL(exposure.url).host === url.host) {
      return { exposure, rest: `${url.pathname}${url.search}` };
    }
  }
  return undefined;
}

/**
 * Whether an exposure of `port` gets a served URL (`{origin}/exposed/{id}`):
 * the emulator is served and a `host:port` service listens on that port.
 */
export function servedExposureUrl(
  origin: string,
  exposureId: string,
  port: number,
  services: ServiceMap,
): string | undefined {
  return services.get(port)?.kind === "upstream"
    ? `${origin}${EXPOSED_PREFIX}${exposureId}`
    : undefined;
}

/** Proxies a request to the exposure's service, or answers the gateway's 502. */
export async function proxyToService(
  request: Request,
  target: ExposureRequest,
  services: ServiceMap,
): Promise<Response> {
  const service = services.get(target.exposure.port);
  if (service?.kind !== "upstream") return badGateway();
  const host = service.host.includes(":") ? `[${service.host}]` : service.host;
  const headers = new Headers(request.headers);
  headers.delete("host");
  const init: RequestInit = {
    method: request.method,
    headers,
    redirect: "manual",
    signal: request.signal,
  };
  if (request.method !== "GET" && request.method !== "HEAD") {
    init.body = await request.arrayBuffer();
  }
  try {
    const answer = await fetch(`http://${host}:${service.port}${target.rest}`, init);
    // A fresh Response: the upstream's may be immutable or tied to its connection, and
    // fetch has already decoded the body (so its encoding and length headers no longer hold).
    const body = await answer.arrayBuffer();
    const out = new Headers(answer.headers);
    out.delete("content-encoding");
    out.delete("content-length");
    const empty = request.method === "HEAD" || [101, 204, 205, 304].includes(answer.status);
    return new Response(empty ? null : body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: out,
    });
  } catch {
    return badGateway();
  }
}
