/**
 * `exposure.waitUntilReady()`: an HTTP exposure is probed with a request to
 * its URL, a TCP one with a connection to its external endpoint, both in the
 * shared readiness loop (readiness/wait.ts).
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";
import type { SandgateEvent } from "../events.ts";
import { tcpConnector } from "../forward/tcp.ts";
import type { FetchLike } from "../options.ts";
import { httpProbe } from "../readiness/http_probe.ts";
import { tcpProbe } from "../readiness/tcp_probe.ts";
import { type ReadyInfo, waitUntilReady, type WaitUntilReadyOptions } from "../readiness/wait.ts";
import type { Clock } from "../util/clock.ts";
import { formatHostPort, parseHostPort } from "../util/host_port.ts";
import type { ExposureInfo } from "./exposure.ts";

/**
 * What the wait needs of its client: its clock, its events, the caller's `fetch` if any, the
 * `User-Agent` of the probes. Passed in rather than imported, as is `tcp`: this module loads on
 * first use, and what it imports from the modules loaded with the class would split them into
 * chunks of their own in a consumer's bundle.
 */
export interface ExposureReadyContext {
  clock: Clock;
  emit: ((event: SandgateEvent) => void) | undefined;
  fetch: FetchLike | undefined;
  userAgent: string;
}

/**
 * Waits until the exposure described by `fields` answers (see the module doc): over TCP when
 * `tcp` (`isTcpExposure(fields)`), else HTTP. `options` were checked by the caller
 * (sandbox_handle.ts, before it loaded this module).
 */
export async function waitUntilExposureReady(
  fields: ExposureInfo,
  tcp: boolean,
  options: WaitUntilReadyOptions | undefined,
  client: ExposureReadyContext,
): Promise<ReadyInfo> {
  const context = { clock: client.clock, emit: client.emit };
  if (tcp) {
    const endpoint = parseHostPort(fields.externalEndpoint ?? fields.tlsSocket);
    if (!endpoint) {
      throw new UnexpectedResponseError(
        "Prime Intellect exposePort: the exposure's external endpoint is not host:port",
      );
    }
    const target = formatHostPort(endpoint);
    return await waitUntilReady(
      target,
      tcpProbe(endpoint.host, endpoint.port, await tcpConnector("waitUntilReady")),
      options,
      context,
    );
  }
  const url = exposureUrl(fields.url, options?.path);
  const fetch = client.fetch ?? ((request: Request) => globalThis.fetch(request));
  return await waitUntilReady(
    url,
    httpProbe(url, { fetch, userAgent: client.userAgent, isReady: options?.isReady }),
    options,
    context,
  );
}

/** An exposure's URL with `path` appended; a URL that is not http(s) is an {@link UnexpectedResponseError}. */
function exposureUrl(url: string, path: string | undefined): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UnexpectedResponseError(
      "Prime Intellect exposePort: the exposure's url is not an http(s) URL",
    );
  }
  if (path === undefined) return parsed.href;
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}${path}`;
}
