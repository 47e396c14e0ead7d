/**
 * sandgate's testing kit: an in-memory emulator of the Prime Intellect
 * gateway and the Tensorlake sandbox proxy, to try sandgate and test your own
 * code without accounts or network.
 *
 * - {@link createEmulator}: every endpoint of both providers in one bound
 *   `fetch(request)` handler, with auth, a server-side rate limit
 *   (20 / 60 s per token and sandbox), deterministic fault injection and an
 *   injectable clock.
 * - {@link serve}: the same on a real loopback port (Node, Deno, Bun).
 * - {@link FakeClock}: virtual time for the SDK, the emulator and your own
 *   code (`clock` option): move it by hand, or let it run until idle.
 *
 * Importing this module has no side effects.
 *
 * @example In-process: pass the emulator's fetch to a client
 * ```ts
 * import { createTensorlakeClient } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const client = createTensorlakeClient({
 *   apiKey: "demo",
 *   sandbox: "my-sandbox",
 *   fetch: emulator.fetch,
 * });
 * const { data } = await client.POST("/api/v1/pty", { body: { command: "bash" } });
 * console.log(data?.session_id, emulator.live().ptys); // pty-… 1
 * ```
 *
 * @module
 */
export { createEmulator } from "./emulator.ts";
export { serve } from "./serve.ts";
export { type AutoAdvanceOptions, FakeClock, type FakeClockOptions } from "./time.ts";
export type { FetchHandler, ServedEmulator, ServeOptions } from "./serve.ts";
export { FAULT_KINDS } from "./emulator_types.ts";
export type {
  Emulator,
  EmulatorClock,
  EmulatorOptions,
  EmulatorRateLimitOptions,
  EmulatorRequestLog,
  EmulatorSandbox,
  EmulatorSnapshot,
  EmulatorStats,
  ExposureSnapshot,
  FaultContext,
  FaultKind,
  FaultOptions,
  LiveCounts,
  LiveSummary,
  PtySnapshot,
  SshSessionSnapshot,
  WebSocketAccept,
} from "./emulator_types.ts";
export type { PeerHandlers, PeerSocket } from "./pty_shell.ts";
export type { EmulatedService } from "./tcp_services.ts";
