/**
 * Checks of `forward()` and `connect()` arguments, before any request or
 * listener: each rejection names the field and the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import {
  assertCallOptions,
  assertIntegerInRange,
  assertOptionsObject,
  assertSignalAndTimeout,
} from "../validate.ts";
import type { ConnectOptions, ForwardOptions } from "./types.ts";

/** `forward()`'s options, normalized once. */
export interface ForwardSettings {
  host: string;
  localPort: number;
  signal: AbortSignal | undefined;
  onConnectionError: ((error: unknown) => void) | undefined;
  maxBufferedBytes: number | undefined;
}

const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?)$/;

/** Checks a remote port: an integer in the provider's range. */
export function assertRemotePort(value: unknown, min: number, max: number): number {
  assertIntegerInRange("remotePort", value, min, max);
  return value as number;
}

/** Checks and normalizes {@link ForwardOptions}. */
export function forwardSettings(options: ForwardOptions | undefined): ForwardSettings {
  assertOptionsObject("options", options, [
    "localPort",
    "host",
    "signal",
    "onConnectionError",
    "maxBufferedBytes",
  ]);
  const { localPort = 0, host = "127.0.0.1", signal, onConnectionError, maxBufferedBytes } =
    options ?? {};
  assertMaxBuffered(maxBufferedBytes);
  assertIntegerInRange("options.localPort", localPort, 0, 65535);
  if (typeof host !== "string" || !HOST.test(host)) {
    throw new InvalidArgumentError(
      "options.host",
      host,
      "must be a host name or IP address to listen on (e.g. 127.0.0.1, ::1, localhost)",
    );
  }
  assertSignalAndTimeout("options", { signal });
  if (onConnectionError !== undefined && typeof onConnectionError !== "function") {
    throw new InvalidArgumentError(
      "options.onConnectionError",
      onConnectionError,
      "must be a function",
    );
  }
  return {
    host: host.replace(/^\[(.*)\]$/, "$1"),
    localPort,
    signal,
    onConnectionError,
    maxBufferedBytes,
  };
}

/** Checks `maxBufferedBytes`: absent, or an integer from 1 KiB to 2 GiB (as attach's). */
function assertMaxBuffered(value: unknown): void {
  if (value !== undefined) {
    assertIntegerInRange("options.maxBufferedBytes", value, 1024, 2 ** 31);
  }
}

/** Checks {@link ConnectOptions} (the per-call `{ signal, timeoutMs }`). */
export function assertConnectOptions(options: ConnectOptions | undefined): void {
  const { maxBufferedBytes, ...call } = options ?? {};
  assertCallOptions(options === undefined ? undefined : call);
  assertMaxBuffered(maxBufferedBytes);
}
