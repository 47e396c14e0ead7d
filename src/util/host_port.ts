/**
 * `host:port` text, one rule for every place that reads it: a TCP exposure's
 * `external_endpoint` (forwarding and the readiness wait), the emulator's
 * `--service` targets.
 *
 * The host is a DNS name (letters, digits, `-`, `.` and `_`) or an IP
 * address, IPv6 in brackets (`[::1]:2222`); the port is 1–65535. `_` is
 * accepted: it is legal in DNS labels (RFC 2181 §11) and resolvers take it,
 * and the host is only ever given to a socket, never to a shell or an argv.
 * Nothing else (spaces, `@`, `/`, control characters, an unbracketed IPv6)
 * passes.
 *
 * @module
 */

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/** A parsed `host:port`. */
export interface HostPort {
  /** The host as a socket takes it: an IPv6 address without its brackets. */
  readonly host: string;
  /** The port, 1–65535. */
  readonly port: number;
}

/**
 * Parses `"host:port"` (see the module documentation); `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHostPort } from "./host_port.ts";
 *
 * assert.deepEqual(parseHostPort("[::1]:2222"), { host: "::1", port: 2222 });
 * assert.equal(parseHostPort("db.example:0"), undefined);
 * ```
 */
export function parseHostPort(text: unknown): HostPort | undefined {
  const match = typeof text === "string" ? HOST_PORT.exec(text) : null;
  const port = match ? Number(match[2]) : NaN;
  return match && port >= 1 && port <= 65535
    ? { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port }
    : undefined;
}

/**
 * `host:port` as written: an IPv6 address in brackets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatHostPort } from "./host_port.ts";
 *
 * assert.equal(formatHostPort({ host: "::1", port: 2222 }), "[::1]:2222");
 * ```
 */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
