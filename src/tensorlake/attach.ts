/**
 * Attaching to a Tensorlake PTY over its WebSocket: {@link PtyConnection},
 * with output as a `ReadableStream`, input as a `WritableStream`, resize over
 * the socket and the exit as a promise of typed outcomes.
 *
 * Protocol (https://docs.tensorlake.ai/api-reference/v2/pty/websocket,
 * https://docs.tensorlake.ai/sandboxes/pty-sessions, and tensorlakeai/tensorlake
 * `typescript/src/sandbox.ts` `Pty.connect`, `crates/cli/src/commands/sbx/ssh.rs`
 * `build_ws_url` / `attach_to_session_unchecked`):
 * - `GET wss://{sandbox}/api/v1/pty/{session_id}/ws`, the PTY token in the
 *   `X-PTY-Token` header (preferred) and in `?token=` (the upstream CLI sends
 *   both: some proxies drop the header; browsers cannot send headers at all);
 * - READY (`0x02`) at once after open, so the server flushes buffered output
 *   (without it the server buffers up to 1 MB, then disconnects);
 * - the exit: a `0x03` frame, then a close with reason `exit:<code>`; a kill:
 *   close code 1001, reason `session terminated`;
 * - a wrong token: 403 `INVALID_TOKEN`, an unknown session: 404
 *   `SESSION_NOT_FOUND` at the upgrade.
 *
 * @module
 */
import {
  createApiError,
  InvalidArgumentError,
  NetworkError,
  NotFoundError,
  PtyDisconnectedError,
  SandgateError,
} from "../errors.ts";
import { DisposableFields } from "../handle.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { timedSignal } from "../util/timed_signal.ts";
import { REDACTED, redactError, type Redactor, redactor } from "../util/redact.ts";
import { assertCallOptions, assertDimension, assertIntegerInRange } from "../validate.ts";
import {
  dataFrame,
  decodeServerFrame,
  exitCodeOfReason,
  readyFrame,
  REASON_SESSION_TERMINATED,
  resizeFrame,
} from "./pty_frames.ts";
import type { PtySize } from "./pty_size.ts";

/** `WebSocket.OPEN`. */
const OPEN = 1;
/** Default connect budget (handshake until open). */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/**
 * Output bytes the `output` stream queues before it signals backpressure. (Sizes are written
 * as literals: bundlers keep a top-level `a * b` of a module nothing else is used from.)
 */
const OUTPUT_HIGH_WATER_BYTES = 262_144; // 256 KiB
/** Default hard cap of queued output when the socket cannot be paused. */
const DEFAULT_MAX_BUFFERED_BYTES = 16_777_216; // 16 MiB
/** Largest data frame sent; bigger writes are split so backpressure applies within them. */
const MAX_FRAME_PAYLOAD = 65_536; // 64 KiB
/** `bufferedAmount` above which writers wait for the socket to drain. */
const SEND_HIGH_WATER_BYTES = 262_144; // 256 KiB
/** How often a waiting writer looks at `bufferedAmount` (it has no event). */
const DRAIN_POLL_MS = 2;
/** How long `close()` waits for the server's closing handshake. */
const CLOSE_WAIT_MS = 2_000;

/**
 * The events a {@link WebSocketLike} reports, read duck-typed: `data` of a
 * message, `code` / `reason` of a close.
 */
export interface WebSocketEventLike {
  /** A message's data: an `ArrayBuffer` (binaryType `"arraybuffer"`), a view or a string. */
  readonly data?: unknown;
  /** A close's code. */
  readonly code?: number;
  /** A close's reason. */
  readonly reason?: string;
}

/**
 * What sandgate needs of a WebSocket: the standard one (Deno, Bun, Node ≥ 22,
 * workerd, browsers) or the `ws` package's. With `pause()` / `resume()` (the
 * `ws` package) a slow reader stops reading from the TCP socket.
 */
export interface WebSocketLike {
  /** `1` when open. */
  readonly readyState: number;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Set to `"arraybuffer"` by sandgate. */
  binaryType: string;
  /** Sends a binary message. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to `open`, `message`, `error` and `close`. */
  addEventListener(type: string, listener: (event: never) => void): void;
  /** Stops reading from the network (optional; the `ws` package has it). */
  pause?(): void;
  /** Resumes reading (optional). */
  resume?(): void;
}

/**
 * Opens a WebSocket: `headers` carries `X-PTY-Token` (and `Authorization`)
 * for runtimes whose WebSocket can send headers; the token is also in the URL.
 *
 * @example The `ws` package on Node 20
 * ```ts ignore
 * import WebSocket from "ws";
 * import { Tensorlake, type WebSocketFactory } from "@sandgate/sdk";
 * const webSocket: WebSocketFactory = (url, init) => new WebSocket(url, init);
 * const tensorlake = new Tensorlake({ webSocket });
 * ```
 */
export type WebSocketFactory = (
  url: string,
  init: { headers: Record<string, string> },
) => WebSocketLike | Promise<WebSocketLike>;

/**
 * Options of `attach`, `attachPty` and `openPty`.
 *
 * @example
 * ```ts
 * import type { AttachOptions } from "@sandgate/sdk";
 * const options: AttachOptions = { timeoutMs: 10_000, signal: AbortSignal.timeout(60_000) };
 * console.log(options.timeoutMs);
 * ```
 */
export interface AttachOptions {
  /** Aborts connecting; once attached, aborting detaches (the PTY keeps running). */
  signal?: AbortSignal;
  /** Budget for the WebSocket handshake. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Most output bytes kept for a reader that does not keep up: past it the
   * connection is dropped with a `PtyDisconnectedError` (the PTY keeps
   * running; attach again). A socket that can be paused (the `ws` package,
   * Bun) stops reading at the stream's high-water mark first, so the cap is
   * only reached by messages it had already read or by one huge message;
   * other standard WebSockets reach it when the reader stalls. Default 16 MiB.
   */
  maxBufferedBytes?: number;
}

/**
 * How an attached PTY connection ended. `exit` never rejects.
 *
 * @example
 * ```ts
 * import type { PtyExit } from "@sandgate/sdk";
 * function describe(exit: PtyExit): string {
 *   if (exit.kind === "exited") return `exit code ${exit.exitCode}`;
 *   if (exit.kind === "killed") return "killed";
 *   return `disconnected: ${exit.error.message}`;
 * }
 * console.log(describe({ kind: "exited", exitCode: 3 }));
 * ```
 */
export type PtyExit =
  | { readonly kind: "exited"; readonly exitCode: number }
  | { readonly kind: "killed" }
  | { readonly kind: "disconnected"; readonly error: SandgateError };

/**
 * A live attachment to a PTY session.
 *
 * - `output`: terminal output; it ends when the program exits, the session is
 *   killed or you detach, and errors with a `PtyDisconnectedError` when the
 *   connection drops.
 * - `input`: terminal input (strings are sent as UTF-8); a writer waits while
 *   the socket's `bufferedAmount` is high. Closing it sends nothing (send
 *   `"\x04"` for end-of-file).
 * - `close()` detaches without killing; `await using` does the same (for
 *   `openPty`'s connection it also kills the PTY).
 *
 * The token is not on the connection, in its `inspect` output or in any error.
 *
 * @example
 * ```ts
 * import { Tensorlake } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const emulator = createEmulator();
 * const tensorlake = new Tensorlake({
 *   apiKey: "demo",
 *   fetch: emulator.fetch,
 *   webSocket: emulator.webSocket,
 * });
 * await using pty = await tensorlake.sandbox("my-sandbox").createPty({ command: "bash" });
 * const connection = await pty.attach();
 * const writer = connection.input.getWriter();
 * await writer.write("exit 3\n");
 * console.log(await connection.exit); // { kind: "exited", exitCode: 3 }
 * ```
 */
export interface PtyConnection extends AsyncDisposable {
  /** The session id. */
  readonly sessionId: string;
  /** Terminal output bytes. */
  readonly output: ReadableStream<Uint8Array>;
  /** Terminal input. */
  readonly input: WritableStream<Uint8Array | string>;
  /** Resizes the terminal over the socket (cols and rows, 1–65535). */
  resize(size: PtySize): Promise<void>;
  /** How the connection ended; never rejects. */
  readonly exit: Promise<PtyExit>;
  /** Detaches (the PTY keeps running); resolves once the socket is closed. */
  close(): Promise<void>;
  /** The public fields (never the token). */
  toJSON(): { sessionId: string };
}

/** What {@link connectPty} needs. */
export interface ConnectPtyParams {
  /** The sandbox's base URL (`https:`, or `http:` on loopback). */
  baseUrl: string;
  /** The session id. */
  sessionId: string;
  /** The PTY token. */
  token: string;
  /** Extra headers, e.g. `Authorization`. */
  headers?: Record<string, string>;
  /** The WebSocket to use; default: the runtime's (see {@link defaultWebSocketFactory}). */
  webSocket?: WebSocketFactory;
  /** Per-call options. */
  options?: AttachOptions;
  /**
   * Explains a refused handshake (standard WebSockets do not report the HTTP
   * status): resolves to the typed error to throw.
   */
  diagnose?: (cause: unknown) => Promise<SandgateError>;
  /** Runs on dispose, after detaching (e.g. kill the PTY `openPty` created). */
  onDispose?: () => Promise<unknown>;
  /**
   * The client's clock, which times the handshake (`timeoutMs`) as it times requests.
   * The waits for a socket to drain or to close stay on real time: they follow the network.
   * @default {systemClock}
   */
  clock?: Clock;
}

interface GlobalsLike {
  WebSocket?: new (url: string, init?: unknown) => WebSocketLike;
  navigator?: { userAgent?: string };
  Deno?: unknown;
  Bun?: unknown;
  process?: { versions?: { node?: string } };
}

/**
 * The runtime's WebSocket as a {@link WebSocketFactory}, or `undefined` when
 * there is none (Node 20 without `--experimental-websocket`):
 * - workerd: `fetch` with `Upgrade: websocket`, then `response.webSocket.accept()`
 *   (a refused upgrade is a typed `ApiError` with the server's status and code);
 * - Deno, Bun, Node ≥ 22: `new WebSocket(url, { headers })`;
 * - elsewhere (browsers): `new WebSocket(url)`; the token travels in the URL only.
 */
export function defaultWebSocketFactory(): WebSocketFactory | undefined {
  const g = globalThis as unknown as GlobalsLike;
  if (g.navigator?.userAgent === "Cloudflare-Workers") return workerdWebSocket;
  const WebSocketClass = g.WebSocket;
  if (typeof WebSocketClass !== "function") return undefined;
  const sendsHeaders = g.Deno !== undefined || g.Bun !== undefined ||
    g.process?.versions?.node !== undefined;
  return sendsHeaders
    ? (url, init) => new WebSocketClass(url, init)
    : (url) => new WebSocketClass(url);
}

async function workerdWebSocket(
  url: string,
  init: { headers: Record<string, string> },
): Promise<WebSocketLike> {
  const response = await fetch(url.replace(/^ws/, "http"), {
    headers: { ...init.headers, Upgrade: "websocket" },
  });
  const socket = (response as { webSocket?: WebSocketLike & { accept(): void } | null }).webSocket;
  if (!socket) {
    const text = await response.text().catch(() => "");
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch { /* not JSON: keep the text */ }
    throw createApiError({
      status: response.status,
      provider: "tensorlake",
      operation: "attachPty",
      headers: response.headers,
      body,
    });
  }
  socket.accept();
  return socket;
}

/** The WebSocket URL of a session (token in the query, as upstream sends it). */
export function ptyWebSocketUrl(baseUrl: string, sessionId: string, token: string): string {
  const base = baseUrl.replace(/\/+$/, "").replace(/^http/, "ws");
  return `${base}/api/v1/pty/${encodeURIComponent(sessionId)}/ws?token=${
    encodeURIComponent(token)
  }`;
}

/** Checks {@link AttachOptions}. */
export function assertAttachOptions(
  options: unknown,
): asserts options is AttachOptions | undefined {
  if (options === undefined) return;
  const { maxBufferedBytes, ...call } = options as AttachOptions;
  assertCallOptions(call);
  if (maxBufferedBytes !== undefined) {
    assertIntegerInRange("options.maxBufferedBytes", maxBufferedBytes, 1024, 2 ** 31);
  }
}

/**
 * Opens the session's WebSocket, sends READY and resolves with the
 * connection. Rejects with `ForbiddenError` (403 `INVALID_TOKEN`),
 * `NotFoundError` (404 `SESSION_NOT_FOUND`), `TimeoutError`, the signal's
 * reason, or `NetworkError`.
 */
export async function connectPty(params: ConnectPtyParams): Promise<PtyConnection> {
  const options = params.options ?? {};
  assertAttachOptions(options);
  options.signal?.throwIfAborted();
  const factory = params.webSocket ?? defaultWebSocketFactory();
  if (!factory) {
    throw new SandgateError(
      "attachPty: this runtime has no global WebSocket (Node 20 needs --experimental-websocket): " +
        "pass the `webSocket` client option, e.g. (url, init) => new WebSocket(url, init) from the ws package",
    );
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const headers = { ...params.headers, "X-PTY-Token": params.token };
  const url = ptyWebSocketUrl(params.baseUrl, params.sessionId, params.token);
  // Every secret the handshake carries: a server, a WebSocket or the follow-up
  // getPty may echo any of them, so whatever leaves this function is redacted.
  const secrets = secretsOf(params.token, headers);

  let socket: WebSocketLike | undefined;
  const timed = timedSignal(options.signal, timeoutMs, params.clock ?? systemClock, "attachPty");
  const interrupted = new Promise<never>((_, reject) => {
    timed.signal.addEventListener("abort", () => reject(timed.signal.reason), { once: true });
  });
  interrupted.catch(() => {});
  try {
    const opening = (async () => {
      try {
        socket = await factory(url, { headers });
      } catch (error) {
        if (error instanceof SandgateError) throw error;
        // Never echo the error: a WebSocket constructor may quote the URL (and its token).
        throw new NetworkError("attachPty: could not open the PTY WebSocket", {
          cause: foreignCause(error, secrets),
        });
      }
      socket.binaryType = "arraybuffer";
      const connection = new Connection(
        params.sessionId,
        socket,
        options,
        params.onDispose,
        secrets,
      );
      await connection.opened;
      return connection;
    })();
    const connection = await Promise.race([opening, interrupted]).catch(async (error) => {
      if (error instanceof HandshakeFailed) {
        throw params.diagnose
          ? await Promise.race([params.diagnose(error.cause), interrupted])
          : new NetworkError("attachPty: the server refused or dropped the WebSocket handshake");
      }
      throw error;
    });
    return connection;
  } catch (error) {
    closeQuietly(socket);
    throw redactError(error, secrets);
  } finally {
    timed.dispose();
  }
}

function closeQuietly(socket: WebSocketLike | undefined): void {
  try {
    if (socket && socket.readyState <= OPEN) socket.close(1000, "client disconnect");
  } catch { /* already closed */ }
}

/** The token and every header value (`Bearer` stripped) worth redacting. */
function secretsOf(token: string, headers: Record<string, string>): string[] {
  const secrets = new Set([token]);
  for (const [name, value] of Object.entries(headers)) {
    if (/^(authorization|x-pty-token)$/i.test(name)) secrets.add(value.replace(/^Bearer\s+/i, ""));
  }
  return [...secrets].filter((secret) => secret.length > 0);
}

/**
 * A foreign error (a WebSocket constructor's, which may quote the URL and its
 * headers) as a cause without the secrets: errors are redacted, anything
 * else is replaced by a plain `Error` of its redacted text.
 */
function foreignCause(error: unknown, secrets: readonly string[]): unknown {
  if (error instanceof Error) {
    const clean = redactError(error, secrets);
    return typeof clean === "string" ? new Error(clean) : clean;
  }
  let text: string;
  try {
    text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  const redact = redactor(secrets);
  return new Error(redact.text(text).replace(/token=[^&\s"']*/g, `token=${REDACTED}`));
}

/**
 * A close reason as it may be shown: at most 123 characters, secrets
 * removed; a reason that still holds the start of one (a server may cut an
 * echoed token short) is dropped whole.
 */
function safeReason(reason: string, redact: Redactor, secrets: readonly string[]): string {
  const text = redact.text(reason.slice(0, 123));
  if (secrets.some((secret) => secret.length >= 8 && text.includes(secret.slice(0, 8)))) {
    return REDACTED;
  }
  return text;
}

/** Internal: the socket closed or failed before it opened. */
class HandshakeFailed extends Error {}

/** Builds the typed error for a refused upgrade from a follow-up `getPty`. */
export async function diagnoseHandshake(
  sessionId: string,
  getPty: () => Promise<unknown>,
): Promise<SandgateError> {
  try {
    await getPty();
  } catch (error) {
    if (error instanceof NotFoundError) {
      return createApiError({
        status: 404,
        provider: "tensorlake",
        operation: "attachPty",
        body: { error: `PTY session ${sessionId} not found`, code: "SESSION_NOT_FOUND" },
        cause: error,
      });
    }
    return new NetworkError("attachPty: the PTY WebSocket handshake failed", { cause: error });
  }
  // The session exists and the upgrade was refused: the token is what the
  // server checks (standard WebSockets do not expose the 403 itself).
  return createApiError({
    status: 403,
    provider: "tensorlake",
    operation: "attachPty",
    body: { error: "the PTY token was refused", code: "INVALID_TOKEN" },
  });
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  return undefined;
}

class Connection extends DisposableFields<{ sessionId: string }> implements PtyConnection {
  protected readonly inspectName = "PtyConnection";
  readonly sessionId: string;
  readonly output: ReadableStream<Uint8Array>;
  readonly input: WritableStream<Uint8Array | string>;
  readonly exit: Promise<PtyExit>;
  /** Resolves once open and READY is sent; rejects with `HandshakeFailed`. */
  readonly opened: Promise<void>;

  readonly #socket: WebSocketLike;
  readonly #maxBuffered: number;
  readonly #onDispose: (() => Promise<unknown>) | undefined;
  #output!: ReadableStreamDefaultController<Uint8Array>;
  #outputDone = false;
  #paused = false;
  #isOpen = false;
  #detaching = false;
  #outcome: PtyExit | undefined;
  #settle!: (exit: PtyExit) => void;
  #sendChain: Promise<void> = Promise.resolve();
  #socketClosed!: () => void;
  readonly #closedPromise: Promise<void>;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => void this.close();
  readonly #secrets: readonly string[];
  readonly #redact: Redactor;

  constructor(
    sessionId: string,
    socket: WebSocketLike,
    options: AttachOptions,
    onDispose: (() => Promise<unknown>) | undefined,
    secrets: readonly string[],
  ) {
    super();
    this.#secrets = secrets;
    this.#redact = redactor(secrets);
    this.sessionId = sessionId;
    this.#socket = socket;
    this.#maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.#onDispose = onDispose;
    this.#signal = options.signal;
    this.exit = new Promise((resolve) => (this.#settle = resolve));
    this.#closedPromise = new Promise((resolve) => (this.#socketClosed = resolve));
    this.output = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#output = controller;
      },
      pull: () => {
        if (this.#paused) {
          this.#paused = false;
          this.#socket.resume?.();
        }
      },
      cancel: () => {
        this.#outputDone = true;
        if (this.#paused) this.#socket.resume?.();
      },
    }, { highWaterMark: OUTPUT_HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength });
    this.input = new WritableStream<Uint8Array | string>({
      write: (chunk) => this.#write(chunk),
    }, {
      highWaterMark: MAX_FRAME_PAYLOAD,
      size: (chunk) => typeof chunk === "string" ? chunk.length : chunk?.byteLength ?? 1,
    });
    this.opened = new Promise<void>((resolve, reject) => {
      const opened = () => {
        if (this.#isOpen) return;
        this.#isOpen = true;
        try {
          socket.send(readyFrame());
        } catch (error) {
          reject(new HandshakeFailed("READY could not be sent", { cause: error }));
          return;
        }
        this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
        resolve();
      };
      const listen = (type: string, listener: (event: WebSocketEventLike) => void) =>
        socket.addEventListener(type, listener as (event: never) => void);
      listen("open", opened);
      listen("message", (event) => this.#message(event));
      listen("error", () => {
        if (!this.#isOpen) reject(new HandshakeFailed("WebSocket error before open"));
      });
      listen("close", (event) => {
        this.#socketClosed();
        if (!this.#isOpen) {
          reject(new HandshakeFailed(`closed before open: ${event.code ?? ""}`));
          this.#finish({ kind: "disconnected", error: this.#closedError(event) });
          return;
        }
        this.#closed(event);
      });
      if (socket.readyState === OPEN) opened();
    });
    this.opened.catch(() => {});
  }

  #message(event: WebSocketEventLike): void {
    if (this.#outcome) return;
    const bytes = toBytes(event.data);
    if (!bytes) return; // text frames are not part of the protocol
    const frame = decodeServerFrame(bytes);
    if (!frame) return;
    if (frame.op === "exit") {
      this.#finish({ kind: "exited", exitCode: frame.exitCode });
      this.#closeSocket();
      return;
    }
    if (this.#outputDone || frame.bytes.byteLength === 0) return;
    this.#output.enqueue(frame.bytes);
    const desired = this.#output.desiredSize ?? 0;
    if (desired > 0) return;
    if (this.#socket.pause && this.#socket.resume && !this.#paused) {
      // Real backpressure: the `ws` package and Bun stop reading from TCP.
      this.#paused = true;
      this.#socket.pause();
    }
    // The hard cap holds either way: a paused socket still delivers what it had
    // already read, and one message may be larger than the cap.
    if (OUTPUT_HIGH_WATER_BYTES - desired > this.#maxBuffered) {
      // Output was lost for this reader: its stream errors instead of ending cleanly.
      this.#finish({
        kind: "disconnected",
        error: new PtyDisconnectedError(
          `PTY output: the reader fell more than ${this.#maxBuffered} bytes behind; ` +
            "detached (the PTY keeps running, attach again to continue)",
          { byClient: true },
        ),
      }, true);
      this.#closeSocket();
    }
  }

  #closed(event: WebSocketEventLike): void {
    const reason = event.reason ?? "";
    const exitCode = exitCodeOfReason(reason);
    if (exitCode !== undefined) {
      this.#finish({ kind: "exited", exitCode });
    } else if (reason === REASON_SESSION_TERMINATED) {
      this.#finish({ kind: "killed" });
    } else {
      this.#finish({ kind: "disconnected", error: this.#closedError(event) });
    }
  }

  #closedError(event: WebSocketEventLike): PtyDisconnectedError {
    const code = event.code;
    // A hostile server may echo the token in its close reason.
    const reason = safeReason(String(event.reason ?? ""), this.#redact, this.#secrets);
    if (this.#detaching) {
      return new PtyDisconnectedError("PTY connection: detached by the client", {
        byClient: true,
        ...(code === undefined ? {} : { closeCode: code }),
        closeReason: reason,
      });
    }
    return new PtyDisconnectedError(
      `PTY connection closed unexpectedly: ${code ?? "no code"}${reason ? ` ${reason}` : ""}`,
      { ...(code === undefined ? {} : { closeCode: code }), closeReason: reason },
    );
  }

  #finish(exit: PtyExit, lostOutput = false): void {
    if (this.#outcome) return;
    this.#outcome = exit;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (!this.#outputDone) {
      this.#outputDone = true;
      const clean = !lostOutput &&
        (exit.kind !== "disconnected" || (exit.error as PtyDisconnectedError).byClient);
      try {
        if (clean) this.#output.close();
        else this.#output.error(exit.kind === "disconnected" ? exit.error : undefined);
      } catch { /* already cancelled */ }
    }
    this.#settle(exit);
  }

  #closeSocket(): void {
    try {
      if (this.#socket.readyState <= OPEN) this.#socket.close(1000, "client disconnect");
    } catch { /* already closing */ }
  }

  #ended(): SandgateError {
    const outcome = this.#outcome!;
    if (outcome.kind === "disconnected") return outcome.error;
    return new PtyDisconnectedError(
      outcome.kind === "exited"
        ? `PTY input: the program exited (code ${outcome.exitCode})`
        : "PTY input: the session was killed",
    );
  }

  /** Sends frames in order (input and resize share one queue), waiting for drains. */
  #send(frame: Uint8Array<ArrayBuffer>): Promise<void> {
    const sent = this.#sendChain.then(async () => {
      if (this.#outcome) throw this.#ended();
      this.#socket.send(frame);
      while (this.#socket.bufferedAmount > SEND_HIGH_WATER_BYTES) {
        if (this.#outcome) throw this.#ended();
        await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
      }
    });
    this.#sendChain = sent.catch(() => {});
    return sent;
  }

  async #write(chunk: Uint8Array | string): Promise<void> {
    let bytes: Uint8Array;
    if (typeof chunk === "string") bytes = new TextEncoder().encode(chunk);
    else if (chunk instanceof Uint8Array) bytes = chunk;
    else throw new InvalidArgumentError("input chunk", chunk, "must be a Uint8Array or a string");
    for (let offset = 0; offset < bytes.byteLength || offset === 0; offset += MAX_FRAME_PAYLOAD) {
      if (bytes.byteLength === 0) return;
      await this.#send(dataFrame(bytes.subarray(offset, offset + MAX_FRAME_PAYLOAD)));
    }
  }

  resize(size: PtySize): Promise<void> {
    try {
      if (typeof size !== "object" || size === null) {
        throw new InvalidArgumentError("size", size, "must be { cols, rows }");
      }
      assertDimension("cols", size.cols);
      assertDimension("rows", size.rows);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#send(resizeFrame(size.cols, size.rows));
  }

  async close(): Promise<void> {
    if (!this.#outcome) {
      this.#detaching = true;
      this.#closeSocket();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#closedPromise,
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS))),
      ]);
      clearTimeout(timer);
      this.#finish({
        kind: "disconnected",
        error: new PtyDisconnectedError("PTY connection: detached by the client", {
          byClient: true,
        }),
      });
    }
  }

  protected async dispose(): Promise<void> {
    await this.close();
    await this.#onDispose?.();
  }

  toJSON(): { sessionId: string } {
    return { sessionId: this.sessionId };
  }
}
