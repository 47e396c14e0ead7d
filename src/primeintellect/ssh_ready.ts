/**
 * `session.waitUntilReady()`: a TCP connection to the session's checked host
 * and port, in the shared readiness loop (readiness/wait.ts).
 *
 * @module
 */
import type { SandgateEvent } from "../events.ts";
import { tcpConnector } from "../forward/tcp.ts";
import { tcpProbe } from "../readiness/tcp_probe.ts";
import { type ReadyInfo, waitUntilReady, type WaitUntilReadyOptions } from "../readiness/wait.ts";
import type { Clock } from "../util/clock.ts";
import type { SshSessionInfo, SshTarget } from "./ssh.ts";

/** What the wait needs of its client: its clock and its events. */
export interface SshReadyContext {
  clock: Clock;
  emit: ((event: SandgateEvent) => void) | undefined;
}

/**
 * Waits until the SSH endpoint of `session` accepts a TCP connection at `target`, the session's
 * host and port checked by `sshTarget` (only those are connected to; nothing else is ever
 * resolved). `target` and `options` were checked by the caller (sandbox_handle.ts, before it
 * loaded this module: `ssh.ts`, which the class loads, keeps the check).
 */
export async function waitUntilSshReady(
  session: SshSessionInfo,
  target: SshTarget,
  options: WaitUntilReadyOptions | undefined,
  client: SshReadyContext,
): Promise<ReadyInfo> {
  return await waitUntilReady(
    session.externalEndpoint,
    tcpProbe(target.address, target.port, await tcpConnector("waitUntilReady")),
    options,
    { clock: client.clock, emit: client.emit },
  );
}
