/**
 * How the CLI fails: one line on stderr with the typed error's message, and
 * an exit code per kind of failure ({@link EXIT}).
 *
 * @module
 */
import {
  ApiError,
  AuthenticationError,
  ConfigError,
  ForbiddenError,
  InvalidArgumentError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  SandgateError,
  TimeoutError,
  ValidationError,
} from "../../mod.ts";

/** The CLI's exit codes (`ssh` and `pty` exit with the remote program's code once connected). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Any other failure: the server failed, a tool is missing, an unexpected response. */
  failure: 1,
  /** Bad command line, or an argument the SDK rejected before sending (`InvalidArgumentError`). */
  usage: 2,
  /** Configuration: no API key, a bad base URL (`ConfigError`). */
  config: 3,
  /** The sandbox, exposure or session does not exist (`NotFoundError`). */
  notFound: 4,
  /** The API key was refused or lacks the right (`AuthenticationError`, `ForbiddenError`). */
  auth: 5,
  /** Rate limited, by the server or a client-side wait too long (`RateLimitedError`). */
  rateLimited: 6,
  /** No answer: network failure or timeout (`NetworkError`, `TimeoutError`). */
  network: 7,
  /** The terminal hung up (SIGHUP): 128 + 1. */
  hangup: 129,
  /** Interrupted by SIGINT (Ctrl-C): 128 + 2. */
  interrupted: 130,
  /** Quit by SIGQUIT (Ctrl-\\): 128 + 3. */
  quit: 131,
  /** Terminated by SIGTERM: 128 + 15. */
  terminated: 143,
} as const;

/**
 * The local exit code for a remote program's exit code. A process can only
 * exit with 0–255, and `process.exit(256)` exits 0: so 0–255 pass as they
 * are; above 255 the low byte is kept, as a POSIX shell reports `exit 257`
 * (1), except that a non-zero code never becomes 0 (256, 512 → 1); a
 * negative or non-integer code (no exit status, a runtime's way of telling a
 * signal, an unreadable `exit:` reason) is 1.
 *
 * @example
 * ```ts
 * import { localExitCode } from "./errors.ts";
 * console.log([0, 3, 256, 257, 511, -1].map(localExitCode)); // [0, 3, 1, 1, 255, 1]
 * ```
 */
export function localExitCode(remote: number): number {
  if (!Number.isSafeInteger(remote) || remote < 0) return EXIT.failure;
  if (remote <= 255) return remote;
  return remote & 0xff || EXIT.failure;
}

/** A wrong command line: unknown command or option, missing argument. */
export class UsageError extends SandgateError {}

/** A failure the CLI itself detected (a missing program, a readiness probe that gave up). */
export class CliError extends SandgateError {}

/** The error a cleanup failure suppressed, else the error itself. */
function primary(error: unknown): unknown {
  // Not `instanceof SuppressedError`: Node 20 has no such global.
  if (error instanceof Error && error.name === "SuppressedError" && "error" in error) {
    return (error as Error & { error: unknown }).error;
  }
  return error;
}

/** The exit code for an error. */
export function exitCodeOf(failure: unknown): number {
  const error = primary(failure);
  if (error instanceof UsageError || error instanceof InvalidArgumentError) return EXIT.usage;
  if (error instanceof ValidationError) return EXIT.usage;
  if (error instanceof ConfigError) return EXIT.config;
  if (error instanceof NotFoundError) return EXIT.notFound;
  if (error instanceof AuthenticationError || error instanceof ForbiddenError) return EXIT.auth;
  if (error instanceof RateLimitedError) return EXIT.rateLimited;
  if (error instanceof NetworkError || error instanceof TimeoutError) return EXIT.network;
  if (error instanceof ApiError) return EXIT.failure;
  return EXIT.failure;
}

/** What a system error the CLI may meet means, by its code. */
const SYSTEM_ERRORS: Record<string, string> = {
  EADDRINUSE: "the address is already in use (another program listens there): choose another port",
  EADDRNOTAVAIL: "the address is not one of this machine's",
  EACCES: "permission denied",
};

/**
 * A system error (`listen EADDRINUSE: address already in use …`) in words:
 * `cannot listen on 127.0.0.1:8788: the address is already in use …`.
 */
function systemError(error: unknown): string | undefined {
  if (!(error instanceof Error) || error instanceof SandgateError) return undefined;
  const { code, syscall, address, port } = error as Error & Record<string, unknown>;
  if (typeof code !== "string" || !Object.hasOwn(SYSTEM_ERRORS, code)) return undefined;
  const host = typeof address === "string" && address.includes(":") ? `[${address}]` : address;
  const where = typeof host === "string"
    ? ` on ${host}${typeof port === "number" ? `:${port}` : ""}`
    : "";
  const verb = syscall === "listen" || syscall === "bind" ? "cannot listen" : "failed";
  return `${verb}${where}: ${SYSTEM_ERRORS[code]} (${code})`;
}

/**
 * One line: `NotFoundError: Prime Intellect listExposures: 404 …`, line
 * breaks folded into spaces (the output layer escapes any other control); a
 * system error in words (`cannot listen on 127.0.0.1:8788: the address is
 * already in use …`).
 */
export function describeError(error: unknown): string {
  const cause = primary(error);
  const text = systemError(cause) ??
    (cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
  return text.replace(/[^\S\r\n]*[\r\n]+\s*/g, " ");
}
