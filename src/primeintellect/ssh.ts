/**
 * SSH sessions: the disposable {@link SshSession} handle, the `ssh` command
 * line, and the gateway's authorize URL (the request: ./ssh_authorize.ts; the
 * readiness wait: ./ssh_ready.ts).
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";
import { type CleanupOptions, type CleanupResult, SecretHandle } from "../handle.ts";
import { PRIME_INTELLECT_HANDLES } from "./handles.ts";
import type { CallOptions } from "../options.ts";
import type { ReadyInfo, WaitUntilReadyOptions } from "../readiness/wait.ts";
import type { Shape } from "../request.ts";
import type { SSHSessionResponse } from "../wire_types.ts";
import { assertPathId, assertRequiredOptions } from "../validate.ts";
import { assertIdentityFile } from "./validate.ts";

/**
 * Options of `createSshSession`.
 *
 * @example
 * ```ts
 * import type { CreateSshSessionOptions } from "@sandgate/sdk";
 * const options: CreateSshSessionOptions = { ttlSeconds: 600 };
 * console.log(options.ttlSeconds);
 * ```
 */
export interface CreateSshSessionOptions {
  /** Lifetime in seconds, an integer from 1 to 3600. Server default: 900. */
  ttlSeconds?: number;
}

/**
 * Options of {@link SshSession.sshCommand}.
 *
 * @example
 * ```ts
 * import type { SshCommandOptions } from "@sandgate/sdk";
 * const options: SshCommandOptions = { identityFile: "~/.ssh/id_ed25519" };
 * console.log(options.identityFile);
 * ```
 */
export interface SshCommandOptions {
  /** Path of the private key whose public half was passed to `authorizeKey`. */
  identityFile: string;
}

/**
 * The `ssh` invocation for a session.
 *
 * @example
 * ```ts
 * import { PrimeIntellect, type SshCommand } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using session = await prime.sandbox("sb-1").createSshSession();
 * const ssh: SshCommand = session.sshCommand({ identityFile: "id_ed25519" });
 * console.log(ssh.argv[0], ssh.command);
 * ```
 */
export interface SshCommand {
  /** Program and arguments, for `spawn`/`Deno.Command` (no shell involved). */
  readonly argv: readonly string[];
  /** The same, shell-quoted, to print or paste into a terminal. */
  readonly command: string;
}

/**
 * The public fields of an SSH session (everything but the token).
 *
 * @example
 * ```ts
 * import { PrimeIntellect, type SshSessionInfo } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using session = await prime.sandbox("sb-1").createSshSession();
 * const info: SshSessionInfo = session.toJSON();
 * console.log(info.externalEndpoint, info.expiresAt);
 * ```
 */
export interface SshSessionInfo {
  /** Session id; also the SSH user name. */
  readonly sessionId: string;
  /** The TCP exposure that carries the session. */
  readonly exposureId: string;
  /** Sandbox the session belongs to. */
  readonly sandboxId: string;
  /** Host to connect to. */
  readonly host: string;
  /** Port to connect to. */
  readonly port: number;
  /** `host:port` to connect to. */
  readonly externalEndpoint: string;
  /** When the session expires. */
  readonly expiresAt: Date;
  /** Lifetime the server granted, in seconds. */
  readonly ttlSeconds: number;
  /** Gateway that authorizes keys for this session. */
  readonly gatewayUrl: string;
  /** User namespace on the gateway. */
  readonly userNs: string;
  /** Job id on the gateway. */
  readonly jobId: string;
}

/**
 * An SSH session opened by `createSshSession`. `await using` closes it at
 * scope exit; closing is idempotent (a 404 resolves `{ alreadyGone: true }`).
 *
 * Its `token` is a secret: it is not an own property, and `JSON.stringify`,
 * Node's `util.inspect` and `Deno.inspect` leave it out.
 *
 * @example
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using session = await prime.sandbox("sb-1").createSshSession({ ttlSeconds: 900 });
 * await session.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
 * console.log(session.sshCommand({ identityFile: "~/.ssh/id_ed25519" }).command);
 * console.log(JSON.stringify(session).includes(session.token)); // false
 * ```
 */
export interface SshSession extends SshSessionInfo, AsyncDisposable {
  /** Bearer token for the gateway's authorize step. Secret. */
  readonly token: string;
  /**
   * Closes the session; later calls reuse the first successful result, and a
   * later `{ strict: true }` call throws `NotFoundError` without a request.
   */
  close(options?: CleanupOptions): Promise<CleanupResult>;
  /**
   * The `ssh` command that connects with the given private key. Throws
   * `NotFoundError` (`source: "client"`) once the session was closed.
   */
  sshCommand(options: SshCommandOptions): SshCommand;
  /**
   * Lets `publicKey` (one OpenSSH public key line) log in, for the session's
   * lifetime, by `POST {gatewayUrl}/{userNs}/{jobId}/authorize`. Rejects with
   * `NotFoundError` (`source: "client"`), sending nothing, once the session
   * was closed.
   */
  authorizeKey(publicKey: string, options?: CallOptions): Promise<void>;
  /**
   * Resolves once the session's endpoint answers (a connection that sends
   * a byte, as an SSH server's banner does, or stays open), instead of
   * sleeping as Prime's CLI does; the same loop, events and `TimeoutError`
   * as `exposure.waitUntilReady()`. Call it after `authorizeKey`.
   */
  waitUntilReady(options?: Omit<WaitUntilReadyOptions, "path" | "isReady">): Promise<ReadyInfo>;
  /** The public fields (never the token). */
  toJSON(): SshSessionInfo;
}

/** The fields `SSHSessionResponse` promises. */
export const SSH_SESSION_SHAPE: Shape<SSHSessionResponse> = {
  session_id: "string",
  exposure_id: "string",
  sandbox_id: "string",
  host: "string",
  port: "integer",
  external_endpoint: "string",
  expires_at: "date-time",
  ttl_seconds: "integer",
  gateway_url: "string",
  user_ns: "string",
  job_id: "string",
  token: "string",
};

const SAFE_SHELL_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one word for a POSIX shell. */
export function shellQuote(word: string): string {
  if (SAFE_SHELL_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An IPv4 literal. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
/** An IPv6 literal, bracketed or bare (hex groups, `::`, an IPv4 tail). */
const IPV6 = /^\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::(?:\d{1,3}\.){3}\d{1,3})?\]?$/;
/** A DNS name: dot-separated labels of letters, digits and hyphens, none at a label's ends. */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** A session id that is safe as ssh's user name in argv: it cannot read as an option. */
const SSH_USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Where a session's `ssh` connects, checked by {@link sshTarget}. */
export interface SshTarget {
  /** The ssh user name: the session id. */
  readonly user: string;
  /** The host as sent: an IP literal (IPv6 in brackets for ssh) or a DNS name. */
  readonly host: string;
  /** The host without IPv6 brackets, for a socket. */
  readonly address: string;
  /** The port, 1..65535. */
  readonly port: number;
  /** `host:port`, as ssh connects to it. */
  readonly endpoint: string;
  /** Whether the session's `external_endpoint` names that same `host:port`. */
  readonly endpointMatches: boolean;
}

/**
 * Checks once, before any use, every field of a session that ends up in a connection or in
 * `ssh`'s argv: the session id (a safe user name), the host (an IP literal or a DNS name, so
 * nothing else is ever resolved or passed on) and the port (1..65535); an
 * {@link UnexpectedResponseError} names the field and the rule. `external_endpoint` is only
 * compared: `endpointMatches` says whether it names the `host:port` used.
 */
export function sshTarget(session: SshSessionInfo): SshTarget {
  const fail = (field: string, rule: string, value: unknown) =>
    new UnexpectedResponseError(
      `Prime Intellect createSshSession: ${field} ${rule} (got ${
        JSON.stringify(String(value).slice(0, 80))
      })`,
    );
  if (typeof session.sessionId !== "string" || !SSH_USER.test(session.sessionId)) {
    throw fail(
      "session_id",
      "must be letters, digits, _ . - (not starting with . or -), safe as ssh's user name",
      session.sessionId,
    );
  }
  const host = session.host;
  const ip = typeof host === "string" &&
    (IPV4.test(host) || (host.includes(":") && IPV6.test(host)));
  if (typeof host !== "string" || !(ip || DNS_NAME.test(host))) {
    throw fail("host", "must be an IP address or a DNS name", host);
  }
  const port = session.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw fail("port", "must be an integer from 1 to 65535", port);
  }
  const address = host.replace(/^\[(.*)\]$/, "$1");
  const bracketed = address.includes(":") ? `[${address}]` : address;
  const endpoint = `${bracketed}:${port}`;
  const external = typeof session.externalEndpoint === "string"
    ? session.externalEndpoint.toLowerCase()
    : "";
  return Object.freeze({
    user: session.sessionId,
    host: bracketed,
    address,
    port,
    endpoint,
    endpointMatches: external === endpoint.toLowerCase() ||
      external === `${address}:${port}`.toLowerCase(),
  });
}

/** Builds the `ssh` argv and its printable form for a session. */
export function buildSshCommand(
  session: SshSessionInfo,
  options: SshCommandOptions,
): SshCommand {
  assertRequiredOptions("options", options, ["identityFile"], "{ identityFile }");
  assertIdentityFile(options.identityFile);
  // The user@host word must not look like an option to ssh.
  const target = sshTarget(session);
  const argv = [
    "ssh",
    `${target.user}@${target.address}`,
    "-p",
    String(target.port),
    "-i",
    options.identityFile,
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
  ];
  return Object.freeze({ argv: Object.freeze(argv), command: argv.map(shellQuote).join(" ") });
}

/**
 * The authorize URL of a session's gateway; a server-sent value that is not
 * safe to put in a URL is an {@link UnexpectedResponseError}.
 */
export function authorizeUrl(session: SshSessionInfo, parse: (url: string) => URL): string {
  try {
    assertPathId("userNs", session.userNs);
    assertPathId("jobId", session.jobId);
  } catch (error) {
    throw new UnexpectedResponseError(
      `Prime Intellect createSshSession: ${(error as Error).message}`,
    );
  }
  const base = parse(session.gatewayUrl).href.replace(/\/+$/, "");
  return `${base}/${session.userNs}/${session.jobId}/authorize`;
}

/** Converts a checked `SSHSessionResponse` to camelCase (without the token). */
export function toSshSessionInfo(body: SSHSessionResponse): SshSessionInfo {
  return {
    sessionId: body.session_id,
    exposureId: body.exposure_id,
    sandboxId: body.sandbox_id,
    host: body.host,
    port: body.port,
    externalEndpoint: body.external_endpoint,
    expiresAt: new Date(body.expires_at),
    ttlSeconds: body.ttl_seconds,
    gatewayUrl: body.gateway_url,
    userNs: body.user_ns,
    jobId: body.job_id,
  };
}

/**
 * What an {@link SshSessionHandle} calls on its owner, the sandbox handle it
 * came from (which implements it).
 */
export interface SshSessionOwner {
  /** Closes a session by id. */
  closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult>;
  /** Sends the gateway's authorize request for the session. */
  authorizeSshKey(
    session: SshSessionHandle,
    publicKey: string,
    options?: CallOptions,
  ): Promise<void>;
  /** Waits until the session's endpoint answers. */
  waitUntilSshReady(
    session: SshSessionHandle,
    options?: WaitUntilReadyOptions,
  ): Promise<ReadyInfo>;
}

/** The {@link SshSession} implementation. */
export class SshSessionHandle extends SecretHandle<SshSessionInfo> implements SshSession {
  readonly #owner: SshSessionOwner;

  constructor(info: SshSessionInfo, token: string, owner: SshSessionOwner) {
    super(PRIME_INTELLECT_HANDLES.sshSession, info, token);
    this.#owner = owner;
  }

  protected cleanupRequest(options?: CleanupOptions): Promise<CleanupResult> {
    return this.#owner.closeSshSession(this.sessionId, options);
  }

  close(options?: CleanupOptions): Promise<CleanupResult> {
    return this.release(options);
  }

  sshCommand(options: SshCommandOptions): SshCommand {
    if (this.released) throw this.gone("sshCommand");
    return buildSshCommand(this, options);
  }

  authorizeKey(publicKey: string, options?: CallOptions): Promise<void> {
    return this.live("authorizeKey", () => this.#owner.authorizeSshKey(this, publicKey, options));
  }

  waitUntilReady(options?: WaitUntilReadyOptions): Promise<ReadyInfo> {
    return this.live("waitUntilReady", () => this.#owner.waitUntilSshReady(this, options));
  }
}
