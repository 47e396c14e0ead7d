/**
 * sandgate: a typed SDK for the sandbox gateway APIs of cloud code sandboxes:
 * exposing ports and opening SSH sessions on Prime Intellect, and managing
 * PTY sessions on Tensorlake's sandbox proxy.
 *
 * Runs unchanged on Deno, Node, Bun and edge runtimes; importing it has no
 * side effects.
 *
 * @example Low-level, typed client
 * ```ts
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * const client = createPrimeIntellectClient({ apiKey: "my-key" });
 * console.log(typeof client.POST);
 * ```
 *
 * @module
 */
export * from "./src/errors.ts";
export * from "./src/types.ts";
export type * from "./src/options.ts";
export { readEnv } from "./src/env.ts";
export { type Clock, systemClock } from "./src/middleware/clock.ts";
export {
  type CallContext,
  compose,
  type Handler,
  type Middleware,
} from "./src/middleware/types.ts";
export type {
  RateLimitStore,
  Reservation,
  ReserveRequest,
} from "./src/middleware/rate_limit_store.ts";
export { authMiddleware, type AuthOptions } from "./src/middleware/auth.ts";
export {
  type CallSignal,
  callSignal,
  timeoutMiddleware,
  type TimeoutOptions,
} from "./src/middleware/timeout.ts";
export { retryMiddleware, type RetryMiddlewareOptions } from "./src/middleware/retry.ts";
export {
  rateLimitKey,
  rateLimitMiddleware,
  type RateLimitMiddlewareOptions,
} from "./src/middleware/rate_limit.ts";
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from "./src/middleware/memory_store.ts";
export { parseRetryAfter } from "./src/middleware/retry_after.ts";
export { sha256Hex, tokenHasher } from "./src/middleware/token_hash.ts";
export {
  classifyNetworkError,
  networkErrorMiddleware,
  type NetworkFailure,
} from "./src/middleware/network.ts";
export {
  createPrimeIntellectClient,
  PRIME_INTELLECT_BASE_URL,
  type PrimeIntellectClient,
  type PrimeIntellectClientOptions,
} from "./src/primeintellect/client.ts";
export {
  createTensorlakeClient,
  TENSORLAKE_SANDBOX_PROXY_URL,
  type TensorlakeClient,
  type TensorlakeClientOptions,
  tensorlakeSandboxUrl,
} from "./src/tensorlake/client.ts";
export {
  createPrimeIntellect,
  PrimeIntellect,
  type PrimeIntellectSandbox,
} from "./src/primeintellect/sandbox.ts";
export type {
  ExposedPort,
  ExposePortOptions,
  Exposure,
  ExposureInfo,
} from "./src/primeintellect/exposure.ts";
export type {
  CreateSshSessionOptions,
  SshCommand,
  SshCommandOptions,
  SshSession,
  SshSessionInfo,
} from "./src/primeintellect/ssh.ts";
export {
  Tensorlake,
  type TensorlakeOptions,
  type TensorlakeSandbox,
} from "./src/tensorlake/sandbox.ts";
export type { CreatePtyOptions, Pty, PtyFields, PtyInfo, PtySize } from "./src/tensorlake/pty.ts";
export type {
  AttachOptions,
  PtyConnection,
  PtyExit,
  WebSocketEventLike,
  WebSocketFactory,
  WebSocketLike,
} from "./src/tensorlake/attach.ts";
export type { CleanupOptions, CleanupResult } from "./src/handle.ts";
