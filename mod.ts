/**
 * sandgate: a typed SDK for the sandbox gateway APIs of cloud code sandboxes:
 * exposing ports and opening SSH sessions on Prime Intellect, and managing
 * PTY sessions on Tensorlake's sandbox proxy.
 *
 * Runs unchanged on Deno, Node, Bun and edge runtimes; importing it has no
 * side effects.
 *
 * This entry exports what a user calls, and the types of what they pass and
 * get back: the two provider classes, the low-level client factories, the
 * error classes with their cross-copy guards, the rate-limit store interface
 * and the in-memory store, and `VERSION`. Everything else (the middleware
 * stack, validators, helpers) is internal and may change in any release, as
 * in ky's `source/index.ts`: each export is a semver promise. The generated
 * wire types live in `sandgate/types` (JSR `@sandgate/sdk/types`), the
 * emulator in `sandgate/testing`, the Redis store in `sandgate/redis`.
 *
 * @example Expose a port against the built-in emulator
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
 * await using exposure = await prime.sandbox("sb-1").exposePort({ port: 8000 });
 * console.log(exposure.url);
 * ```
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

// High-level API.
export { PrimeIntellect } from "./src/primeintellect/prime_intellect.ts";
export type { PrimeIntellectSandbox, PrimeSandboxInfo } from "./src/primeintellect/sandbox.ts";
export { Tensorlake, type TensorlakeOptions } from "./src/tensorlake/tensorlake.ts";
export type { TensorlakeSandbox, TensorlakeSandboxOptions } from "./src/tensorlake/sandbox.ts";
export type { ExposePortOptions, Exposure, ExposureInfo } from "./src/primeintellect/exposure.ts";
export type {
  CreateSshSessionOptions,
  SshCommand,
  SshCommandOptions,
  SshSession,
  SshSessionInfo,
} from "./src/primeintellect/ssh.ts";
export type { CreatePtyOptions, ListedPty, Pty, PtyInfo, PtySize } from "./src/tensorlake/pty.ts";
export type { AttachOptions, PtyConnection, PtyExit } from "./src/tensorlake/attach.ts";
export type { ReconnectOptions } from "./src/tensorlake/reconnect_policy.ts";
export { createPtyHandler, type PtyHandlerOptions } from "./src/tensorlake/pty_handler.ts";
export type {
  WebSocketEventLike,
  WebSocketFactory,
  WebSocketLike,
} from "./src/websocket/socket.ts";
export type { ReadyInfo, WaitUntilReadyOptions } from "./src/readiness/wait.ts";
export type { CleanupOptions, CleanupResult } from "./src/handle.ts";
export type {
  ConnectOptions,
  Forward,
  ForwardOptions,
  ForwardStats,
  TcpConnection,
} from "./src/forward/types.ts";

// Low-level typed clients.
export {
  createPrimeIntellectClient,
  type PrimeIntellectClient,
  type PrimeIntellectClientOptions,
} from "./src/primeintellect/client.ts";
export {
  createTensorlakeClient,
  type TensorlakeClient,
  type TensorlakeClientOptions,
} from "./src/tensorlake/client.ts";

// Options and what the hooks receive.
export type {
  ApiKeySource,
  CallOptions,
  ClientOptions,
  FetchLike,
  RateLimitOptions,
  RetryOptions,
} from "./src/options.ts";
export type {
  RateLimitInfo,
  RateLimitWaitEvent,
  ReadinessEvent,
  ReconnectedEvent,
  ReconnectingEvent,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
  RetryInfo,
  SandgateEvent,
  SandgateEventBase,
} from "./src/events.ts";
export type { Clock } from "./src/util/clock.ts";

// Errors.
export {
  ApiError,
  type ApiErrorDetail,
  type ApiErrorInit,
  AuthenticationError,
  ConfigError,
  type ErrorSource,
  ForbiddenError,
  InvalidArgumentError,
  isApiError,
  isSandgateError,
  MissingApiKeyError,
  NetworkError,
  NotFoundError,
  type Provider,
  PtyDisconnectedError,
  RateLimitedError,
  RateLimitStoreError,
  SandgateError,
  ServerError,
  TimeoutError,
  UnexpectedResponseError,
  type UnexpectedResponseErrorOptions,
  UnsupportedRuntimeError,
  ValidationError,
} from "./src/errors.ts";

// Rate-limit stores (the Redis one is `sandgate/redis`).
export type { RateLimitStore, Reservation, ReserveRequest } from "./src/rate_limit/store.ts";
export {
  createMemoryRateLimitStore,
  type MemoryRateLimitStore,
  type MemoryRateLimitStoreOptions,
} from "./src/rate_limit/memory_store.ts";

export { VERSION } from "./src/version.ts";
