/**
 * One readiness attempt against a TCP endpoint (a TCP exposure's
 * `host:port`, an SSH session's endpoint).
 *
 * A TCP load balancer in front of a sandbox can accept a connection while
 * nothing listens behind it, and then close it (Prime's own CLI sleeps 5 s
 * "for the TCP exposure to propagate through the load balancer",
 * PrimeIntellect-ai/prime `packages/prime/src/prime_cli/commands/sandbox.py`
 * @66fb4b7, `ssh_connect`); what it does exactly is not documented. So the
 * assumption, written down in docs/providers.md: the service answered when the
 * connection **sends a byte** (an SSH server's banner does at once), or
 * **stays open** for {@link TCP_SETTLE_MS} without being closed or reset
 * (servers that wait for the client to speak first, e.g. Redis or
 * PostgreSQL). Refused, reset, closed before that, or no connection within
 * the attempt's limit: not yet. The probe sends nothing.
 *
 * @module
 */
import type { Probe, ProbeOutcome } from "./wait.ts";
import { READINESS } from "./wait.ts";

/** How long a silent connection must stay open to count as answered (real time). */
export const TCP_SETTLE_MS = 500;

/** The part of a TCP connection the probe uses (what `connect()` returns has it). */
export interface ProbeConnection {
  /** Bytes from the far end. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Ends the connection. */
  close(): Promise<void>;
}

/** Opens a TCP connection; rejects when it cannot. */
export type ProbeConnect = (
  host: string,
  port: number,
  signal?: AbortSignal,
) => Promise<ProbeConnection>;

/** Options of {@link tcpProbe}. */
export interface TcpProbeOptions {
  /** Longest one connection attempt may take (real time). */
  attemptTimeoutMs?: number;
  /** See {@link TCP_SETTLE_MS}. */
  settleMs?: number;
}

function failure(error: unknown): string {
  const e = error as {
    code?: unknown;
    cause?: { code?: unknown };
    message?: unknown;
    name?: unknown;
  };
  const what = [e?.code, e?.cause?.code, e?.message, e?.name].find((v) =>
    typeof v === "string" && v !== ""
  ) as string | undefined;
  return `no connection (${(what ?? "error").slice(0, 120)})`;
}

/**
 * A probe that connects to `host:port` (`[v6]` brackets are dropped) with
 * `connect` and classifies the connection (see the module doc).
 */
export function tcpProbe(
  host: string,
  port: number,
  connect: ProbeConnect,
  options: TcpProbeOptions = {},
): Probe {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const attemptMs = options.attemptTimeoutMs ?? READINESS.attemptTimeoutMs;
  const settleMs = options.settleMs ?? TCP_SETTLE_MS;
  return async (signal): Promise<ProbeOutcome> => {
    const attempt = new AbortController();
    const onAbort = () => attempt.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const timers: ReturnType<typeof setTimeout>[] = [];
    timers.push(setTimeout(() => attempt.abort(new Error("attempt timed out")), attemptMs));
    let connection: ProbeConnection | undefined;
    try {
      try {
        connection = await connect(bare, port, attempt.signal);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (attempt.signal.aborted) {
          return { ready: false, reason: `no connection within ${attemptMs} ms` };
        }
        return { ready: false, reason: failure(error) };
      }
      const reader = connection.readable.getReader();
      try {
        const verdict = await new Promise<ProbeOutcome>((resolve, reject) => {
          timers.push(setTimeout(
            () => resolve({ ready: true, answer: `connection held open ${settleMs} ms` }),
            settleMs,
          ));
          attempt.signal.addEventListener(
            "abort",
            () => reject(signal.aborted ? signal.reason : attempt.signal.reason),
            { once: true },
          );
          reader.read().then(
            ({ done, value }) =>
              resolve(
                done
                  ? { ready: false, reason: "closed by the far end before answering" }
                  : { ready: true, answer: `sent ${value.byteLength} bytes` },
              ),
            (error) => resolve({ ready: false, reason: `reset (${failure(error)})` }),
          );
        });
        return verdict;
      } finally {
        reader.cancel().catch(() => {});
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      return { ready: false, reason: failure(error) };
    } finally {
      for (const timer of timers) clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      await connection?.close().catch(() => {});
    }
  };
}
