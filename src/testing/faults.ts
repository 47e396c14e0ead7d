/**
 * Deterministic fault injection: which request gets which fault, and what a
 * fault looks like on the wire.
 *
 * @module
 */
import { drawsFor } from "./prng.ts";
import { json } from "./http.ts";
import {
  BEFORE_EFFECT_KINDS,
  FAULT_KINDS,
  type FaultContext,
  type FaultKind,
  type FaultOptions,
} from "./emulator_types.ts";

/** What a random draw picks from: all but the kinds that must be asked for (`endless` never ends). */
const DEFAULT_KINDS = FAULT_KINDS.filter((k) => k !== "lost-response" && k !== "endless");
/** Pieces of a `"trickle"` body. */
const TRICKLE_PIECES = 8;
/** How often an `"endless"` body sends a space (sparse: a reader may wait out a long budget). */
const ENDLESS_EVERY_MS = 10_000;

/** Whether a fault is answered without the request taking effect (the handler does not run). */
export function isBeforeEffect(kind: FaultKind): boolean {
  return BEFORE_EFFECT_KINDS.has(kind);
}

/** Picks the fault for a request, or `undefined` for none. */
export function decideFault(
  options: FaultOptions | undefined,
  seed: number,
  context: FaultContext,
): FaultKind | undefined {
  if (!options) return undefined;
  const decided = options.decide?.(context);
  if (decided !== undefined) return decided ?? undefined;
  const rate = options.rate ?? 0;
  if (rate <= 0 || (context.api !== "primeintellect" && context.api !== "tensorlake")) {
    return undefined;
  }
  const kinds = options.kinds ?? DEFAULT_KINDS;
  if (kinds.length === 0) return undefined;
  const [hit, pick] = drawsFor(seed, context.index);
  if (hit >= rate) return undefined;
  return kinds[Math.min(kinds.length - 1, Math.floor(pick * kinds.length))];
}

const RESET = Symbol.for("sandgate.emulator.connectionReset");

/**
 * The error a `"reset"` or `"lost-response"` fault rejects with: a `TypeError`
 * like a real `fetch`'s, marked so `serve()` destroys the socket instead.
 */
export function connectionReset(): TypeError {
  const cause = Object.assign(new Error("read ECONNRESET (emulated)"), { code: "ECONNRESET" });
  const error = new TypeError("fetch failed: connection reset by peer (emulated)", { cause });
  Object.defineProperty(error, RESET, { value: true });
  return error;
}

/** Whether an error came from {@link connectionReset}. */
export function isConnectionReset(error: unknown): boolean {
  return typeof error === "object" && error !== null &&
    (error as Record<symbol, unknown>)[RESET] === true;
}

/** The answer of a before-effect fault (`"reset"` excluded: it throws). */
export function faultResponse(
  kind: FaultKind,
  api: FaultContext["api"],
  retryAfterSeconds: number,
): Response {
  const tensorlake = api === "tensorlake";
  const error = (status: number, message: string, code: string, headers?: Record<string, string>) =>
    json(tensorlake ? { error: message, code } : { detail: message }, status, headers);
  switch (kind) {
    case "429":
      return error(429, "Rate limit exceeded", "RATE_LIMITED", {
        "retry-after": String(retryAfterSeconds),
      });
    case "429-no-retry-after":
      return error(429, "Rate limit exceeded", "RATE_LIMITED");
    case "500":
      return error(500, "Internal Server Error", "INTERNAL");
    case "503":
      return error(503, "Service Unavailable", "UNAVAILABLE");
    case "502":
      return new Response(
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
        { status: 502, headers: { "content-type": "text/html" } },
      );
    default:
      throw new Error(`not a before-effect fault: ${kind}`);
  }
}

/** Replaces a real answer's body for `"non-json"`, `"empty"` and `"truncated-json"`. */
export async function corruptBody(kind: FaultKind, response: Response): Promise<Response> {
  const text = await response.text();
  const headers = new Headers(response.headers);
  const init = (body: string | null) =>
    new Response(response.status === 204 ? null : body, {
      status: response.status,
      headers,
    });
  if (kind === "non-json") {
    headers.set("content-type", "text/html");
    return init("<html><body>Something went wrong upstream</body></html>");
  }
  if (kind === "empty") return init("");
  return init(text.slice(0, Math.floor(text.length / 2)));
}

/**
 * Replaces a real answer's body for `"trickle"` (the whole body in
 * {@link TRICKLE_PIECES} pieces, `slowMs / 8` apart) and `"endless"` (the
 * first half of the body, then a space every 10 s, never ending).
 * Waits go through `sleep` (the emulator's clock, virtual in the soak) and
 * stop when the reader cancels or `signal` aborts, so nothing outlives the
 * client giving up.
 */
export async function slowBody(
  kind: "trickle" | "endless",
  response: Response,
  slowMs: number,
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<Response> {
  if (response.status === 204 || response.status === 304) return response;
  const bytes = new Uint8Array(await response.arrayBuffer());
  const gap = kind === "endless" ? ENDLESS_EVERY_MS : Math.max(1, slowMs / TRICKLE_PIECES);
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const pieceSize = Math.max(1, Math.ceil(bytes.byteLength / TRICKLE_PIECES));
  const end = kind === "trickle" ? bytes.byteLength : Math.floor(bytes.byteLength / 2);
  const space = new Uint8Array([0x20]);
  let offset = 0;
  let started = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (started) {
        try {
          await sleep(gap, stop.signal);
        } catch {
          return; // cancelled or aborted: pull is not called again
        }
      }
      started = true;
      if (stop.signal.aborted) return;
      if (offset < end) {
        const next = kind === "endless" ? end : Math.min(end, offset + pieceSize);
        controller.enqueue(bytes.slice(offset, next));
        offset = next;
      } else if (kind === "trickle") {
        signal?.removeEventListener("abort", onAbort);
        controller.close();
      } else {
        controller.enqueue(space);
      }
    },
    cancel() {
      signal?.removeEventListener("abort", onAbort);
      stop.abort();
    },
  }, { highWaterMark: 0 });
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
