/**
 * Options, statistics and inspection shapes of the sandbox emulator.
 *
 * @module
 */
import type { WebSocketFactory } from "../websocket/socket.ts";
import type { PeerHandlers, PeerSocket } from "./pty_shell.ts";
import { exhaustive } from "../util/exhaustive.ts";
import type { EmulatedService } from "./tcp_services.ts";

/**
 * A fault the emulator can inject instead of (or on top of) a normal answer.
 *
 * Faults are injected **in front of** the emulated server, like a flaky proxy:
 *
 * | kind                   | what the client sees                                  | did the request take effect? |
 * | ---------------------- | ----------------------------------------------------- | ---------------------------- |
 * | `"429"`                | 429 with `Retry-After: {retryAfterSeconds}`            | no                           |
 * | `"429-no-retry-after"` | 429 without `Retry-After`                              | no                           |
 * | `"500"`, `"503"`       | that status, a JSON error body in the provider's shape | no                           |
 * | `"502"`                | 502 with an HTML body (as a load balancer sends)       | no                           |
 * | `"reset"`              | the `fetch` rejects with a `TypeError` (socket reset)  | no                           |
 * | `"slow"`               | the normal answer, `slowMs` late                       | yes                          |
 * | `"non-json"`           | the normal status, an HTML body instead of JSON        | yes                          |
 * | `"empty"`              | the normal status, an empty body                       | yes                          |
 * | `"truncated-json"`     | the normal status, the JSON body cut in half           | yes                          |
 * | `"lost-response"`      | the `fetch` rejects with a `TypeError` (socket reset)  | yes: processed, answer lost  |
 * | `"trickle"`            | the normal answer, its body in 8 pieces `slowMs/8` apart | yes                        |
 * | `"endless"`            | the normal status, a body that never ends (a space every 10 s)   | yes              |
 *
 * Faulted requests that did not take effect are not counted by the server-side
 * rate limit either.
 */
export type FaultKind =
  | "429"
  | "429-no-retry-after"
  | "500"
  | "502"
  | "503"
  | "reset"
  | "slow"
  | "non-json"
  | "empty"
  | "truncated-json"
  | "lost-response"
  | "trickle"
  | "endless";

/**
 * The fault kinds, in {@link FAULT_KINDS} order, by whether the request
 * takes effect (the last column of the table on {@link FaultKind}).
 * `FAULT_KINDS` fails the type check when a {@link FaultKind} is in neither.
 */
const FAULTS = {
  /** Answered in front of the server: the request does not take effect. */
  beforeEffect: ["429", "429-no-retry-after", "500", "502", "503", "reset"],
  /** The server ran the request; its answer is late, corrupt, endless or lost. */
  afterEffect: [
    "slow",
    "non-json",
    "empty",
    "truncated-json",
    "lost-response",
    "trickle",
    "endless",
  ],
} as const;

/** Every {@link FaultKind}, in a fixed order. */
export const FAULT_KINDS: readonly FaultKind[] = exhaustive<FaultKind>()(
  [...FAULTS.beforeEffect, ...FAULTS.afterEffect],
);

/** The kinds answered without the request taking effect (internal, for `faults.ts`). */
export const BEFORE_EFFECT_KINDS: ReadonlySet<FaultKind> = new Set(FAULTS.beforeEffect);

/** What a fault hook learns about a request. */
export interface FaultContext {
  /** The incoming request (do not read its body). */
  request: Request;
  /** Which API the path belongs to. */
  api: "primeintellect" | "tensorlake" | "gateway" | "unknown";
  /** 0 for the first request the emulator receives after creation or `reset()`. */
  index: number;
}

/** Deterministic fault injection. */
export interface FaultOptions {
  /**
   * Probability in [0, 1] that a provider API request is faulted. Gateway
   * (`/gateway/...`) requests and unknown paths are faulted only through
   * `decide`. Default 0.
   */
  rate?: number;
  /**
   * Kinds to draw from, uniformly. Default: every kind except `"lost-response"`
   * and `"endless"` (it ends only when the client gives up).
   */
  kinds?: readonly FaultKind[];
  /** Delay of a `"slow"` fault (and the span of a `"trickle"`) in milliseconds. Default 200. */
  slowMs?: number;
  /** `Retry-After` of a `"429"` fault, in seconds. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Decides per request, overriding `rate`/`kinds`: return a kind to inject it,
   * `null` for no fault, or `undefined` to fall back to the random draw.
   */
  decide?: (context: FaultContext) => FaultKind | null | undefined;
}

/** The emulator's time source: compatible with sandgate's `Clock`. */
export interface EmulatorClock {
  /** Milliseconds since the epoch (used for `expires_at`, `created_at` and rate limits). */
  now(): number;
  /** Waits `ms` milliseconds (used by `"slow"` faults). Default: `setTimeout`. */
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Server-side rate limit: a sliding window per (provider, token, sandbox). */
export interface EmulatorRateLimitOptions {
  /**
   * Requests allowed per window, for every route of both providers. Default:
   * the documented budgets (Prime Intellect: 300 / 60 s per token and sandbox for
   * getting a sandbox, 20 / 60 s per token and sandbox
   * shared by expose, unexpose and SSH create/close, 60 / 60 s for listing a
   * sandbox's ports, 60 / 60 s per token for listing all; Tensorlake: none).
   */
  limit?: number;
  /** Window length in milliseconds, with `limit`. Default 60 000. */
  windowMs?: number;
  /**
   * `false` serves requests over the limit instead of answering 429, and counts
   * them in `stats.overLimit`. Default `true`.
   */
  enforce?: boolean;
}

/**
 * A sandbox the emulator knows, with the state Prime Intellect's
 * `GET /api/v1/sandbox/{sandbox_id}` reports for it, so that the paths for a
 * sandbox that is not running, or is a VM, can be tested.
 *
 * @example
 * ```ts
 * import { createEmulator, type EmulatorSandbox } from "@sandgate/sdk/testing";
 *
 * const vm: EmulatorSandbox = { id: "sb-vm", vm: true };
 * const emulator = createEmulator({ sandboxes: ["sb-1", vm, { id: "sb-new", status: "PENDING" }] });
 * console.log(emulator.live().sandboxes); // {}
 * ```
 */
export interface EmulatorSandbox {
  /** Prime Intellect sandbox id or Tensorlake sandbox name. */
  id: string;
  /**
   * Its `status`: `PENDING`, `PROVISIONING`, `RUNNING`, `PAUSED`, `ERROR`,
   * `TERMINATED` (https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint)
   * or `TIMEOUT` (PrimeIntellect-ai/prime `models.py`@66fb4b7). Default `"RUNNING"`.
   */
  status?: string;
  /** Whether it is VM-backed (`vm`, default `false` as in their `models.py`). */
  vm?: boolean;
}

/** Options of `createEmulator`. */
export interface EmulatorOptions {
  /** Bearer tokens accepted. Default: any non-empty token. */
  apiKeys?: readonly string[];
  /**
   * Known sandboxes (Prime Intellect ids and Tensorlake names, or
   * {@link EmulatorSandbox} entries with a status or `vm`); others answer 404.
   * Default: any sandbox springs into existence on first use, running, not a VM.
   */
  sandboxes?: readonly (string | EmulatorSandbox)[];
  /** Tensorlake sandbox name for loopback hosts (`127.0.0.1`, `localhost`). Default `"default"`. */
  defaultSandbox?: string;
  /** Time source. Default: `Date.now()` and `setTimeout`. */
  clock?: EmulatorClock;
  /** Server-side rate limit, or `false` for none. */
  rateLimit?: EmulatorRateLimitOptions | false;
  /** Seed of the fault draws: the same seed and requests give the same faults. Default 1. */
  seed?: number;
  /** Fault injection. Default: none. */
  faults?: FaultOptions;
  /** Most PTY sessions per Tensorlake sandbox. Default 64. */
  maxPtySessions?: number;
  /** Base of `SSHSessionResponse.gateway_url`. Default: the request's origin + `/gateway`. */
  gatewayUrl?: string;
  /**
   * What listens inside every emulated sandbox, by port: a `"host:port"`
   * to relay to (e.g. a Redis server the test started) or a handler given
   * each connection. Tensorlake's TCP tunnel reaches it; served over HTTP,
   * so does each Prime Intellect TCP exposure's `external_endpoint` (a
   * loopback listener of its own). A port without a service refuses the
   * tunnel (502) and closes exposure connections at once. A service on
   * port 22 (a real `sshd`) is where served SSH sessions' endpoints relay.
   * HTTP exposures of a port with a `"host:port"` service get, served, the
   * URL `{emulator}/exposed/{exposure_id}`; requests to an HTTP exposure's
   * URL go through an emulated gateway that answers a 502 HTML page while
   * nothing serves. Default: none.
   */
  services?: Readonly<Record<number, EmulatedService>>;
  /**
   * Called once per request when its answer is decided (a WebSocket upgrade
   * too): a request log, as `sandgate emulator` prints it. Never throws into
   * the emulator.
   */
  onRequest?: (entry: EmulatorRequestLog) => void;
}

/** One request, as {@link EmulatorOptions.onRequest} reports it. */
export interface EmulatorRequestLog {
  /** The HTTP method. */
  method: string;
  /**
   * The URL path, percent-encoded as URLs are (no raw control, bidi or
   * non-ASCII character); never the query, where a PTY token may travel.
   */
  path: string;
  /** The status answered, `101` for an accepted WebSocket, or `"reset"` for a dropped connection. */
  status: number | "reset";
}

/** Counters of what the emulator did since creation or `reset()`. */
export interface EmulatorStats {
  /** Requests received. */
  requests: number;
  /** Requests answered by the emulated server (not faulted away, not rate limited). */
  served: number;
  /** 429s the server-side rate limit answered. */
  rateLimited: number;
  /** Requests served although the window was full (only when `rateLimit.enforce` is `false`). */
  overLimit: number;
  /** Faults injected. */
  faults: number;
  /** Faults injected, by kind. */
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** Answers by HTTP status (faults included; rejected fetches are not). */
  byStatus: Record<string, number>;
}

/** Live resources of one sandbox. */
export interface LiveCounts {
  /** Port exposures (an SSH session's TCP exposure included). */
  exposures: number;
  /** Open SSH sessions. */
  sshSessions: number;
  /** PTY sessions. */
  ptys: number;
}

/** Live resources in total and per sandbox. */
export interface LiveSummary extends LiveCounts {
  /** Per sandbox name; sandboxes with nothing live are left out. */
  sandboxes: Record<string, LiveCounts>;
}

/** One exposure as the emulator holds it. */
export interface ExposureSnapshot {
  /** Exposure id. */
  exposure_id: string;
  /** Exposed port. */
  port: number;
  /** Name given, or `null`. */
  name: string | null;
  /** `HTTP`, `TCP` or `UDP`. */
  protocol: string;
  /** Public URL. */
  url: string;
  /** Creation time (ISO 8601). */
  created_at: string;
  /** SSH session that owns this exposure, if any. */
  ssh_session_id: string | null;
}

/** One SSH session as the emulator holds it (without its token). */
export interface SshSessionSnapshot {
  /** Session id. */
  session_id: string;
  /** Its TCP exposure. */
  exposure_id: string;
  /** Expiry (ISO 8601). */
  expires_at: string;
  /** Public keys the gateway authorized, in order. */
  authorized_keys: string[];
}

/** One PTY session as the emulator holds it (without its token). */
export interface PtySnapshot {
  /** Session id. */
  session_id: string;
  /** Command. */
  command: string;
  /** Arguments. */
  args: string[];
  /** Terminal rows. */
  rows: number;
  /** Terminal columns. */
  cols: number;
}

/** A copy of the emulator's state; tokens are left out. */
export interface EmulatorSnapshot {
  /** Per sandbox name. */
  sandboxes: Record<string, {
    exposures: ExposureSnapshot[];
    sshSessions: SshSessionSnapshot[];
    ptys: PtySnapshot[];
  }>;
}

/**
 * An in-memory sandbox gateway: both providers' endpoints in one handler.
 */
export interface Emulator {
  /**
   * Answers one request (bound: pass it as a client's `fetch`, or export it
   * as a Workers-style handler). Rejects with a `TypeError` for `"reset"` and
   * `"lost-response"` faults, like a failed network `fetch`.
   */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Counters since creation or the last `reset()` (a live view). */
  readonly stats: Readonly<EmulatorStats>;
  /** Forgets every sandbox, resource, counter and rate-limit window; replays faults from the seed. */
  reset(): void;
  /** Counts of live exposures, SSH sessions and PTYs (expired SSH sessions dropped first). */
  live(): LiveSummary;
  /** A deep copy of the state, without tokens. */
  snapshot(): EmulatorSnapshot;
  /**
   * Opens an in-memory WebSocket to an emulated PTY (`/api/v1/pty/{id}/ws`):
   * pass it as the Tensorlake `webSocket` option next to `fetch`. It behaves
   * like a standard WebSocket: a refused upgrade (403 `INVALID_TOKEN`, 404
   * `SESSION_NOT_FOUND`) is only an `error` and a close 1006.
   */
  readonly webSocket: WebSocketFactory;
  /**
   * Decides a WebSocket upgrade of `/api/v1/pty/{id}/ws` or
   * `/api/v1/tunnels/tcp` (what `serve()` calls): the refusal as a
   * `Response`, or a function attaching the server side of the accepted
   * socket (a promise of either for the tunnel, which connects first).
   */
  acceptWebSocket(
    request: Request,
  ): Response | WebSocketAccept | Promise<Response | WebSocketAccept>;
  /**
   * The answer to a request `serve()` refuses before it reaches `fetch` (413:
   * its body is over `maxBodyBytes`), in the error shape of the API its path
   * belongs to: Tensorlake `{ error }`, Prime Intellect `{ detail }`.
   */
  refuse(request: Request, status: number, message: string): Response;
}

/** Attaches the server side of an accepted WebSocket and returns its callbacks. */
export type WebSocketAccept = (peer: PeerSocket) => PeerHandlers;
