/**
 * Forwarding on Tensorlake: each local connection (`forward()`) or the one
 * connection (`connect()`) is a TCP tunnel WebSocket to the sandbox's port
 * (tunnel.ts). Loaded on first use by the sandbox handle, which checks the
 * port and the options before (sandbox_handle.ts).
 *
 * @module
 */
import { startForward } from "../forward/forward.ts";
import type { ForwardSettings } from "../forward/options.ts";
import { tcpListener } from "../forward/tcp.ts";
import type { ConnectOptions, Forward, TcpConnection } from "../forward/types.ts";
import { openTunnel, type TunnelContext } from "./tunnel.ts";

/** `sandbox.forward(remotePort, options)` on Tensorlake. */
export async function tensorlakeForward(
  tunnel: TunnelContext,
  remotePort: number,
  settings: ForwardSettings,
): Promise<Forward> {
  const listen = await tcpListener("forward");
  return await startForward({
    listen,
    settings,
    remotePort,
    prepare: () =>
      Promise.resolve({
        open: (signal) =>
          openTunnel(tunnel, remotePort, {
            operation: "forward",
            signal,
            maxBufferedBytes: settings.maxBufferedBytes,
          }),
        release: () => Promise.resolve(),
      }),
  });
}

/** `sandbox.connect(remotePort, options)` on Tensorlake. */
export async function tensorlakeConnect(
  tunnel: TunnelContext,
  remotePort: number,
  options: ConnectOptions | undefined,
): Promise<TcpConnection> {
  return await openTunnel(tunnel, remotePort, {
    operation: "connect",
    signal: options?.signal,
    timeoutMs: options?.timeoutMs,
    maxBufferedBytes: options?.maxBufferedBytes,
  });
}
