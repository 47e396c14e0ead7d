/**
 * Reads a response body to its end under the call's signal, with a size cap,
 * and hands back a response whose body is already in memory. The network
 * middleware does this for every attempt, so that:
 *
 * - the call's budget (`timeoutMs`, a per-call signal) covers the body, not
 *   only the headers: a trickling or endless body ends in a timeout;
 * - a connection reset mid-body is a failure of the attempt, which the retry
 *   middleware may repeat (GET, DELETE, …) like any other network error;
 * - an error body costs at most {@link MAX_ERROR_BODY_BYTES} of memory, and a
 *   success body larger than {@link MAX_BODY_BYTES} is refused.
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";

/** Largest success body read, in bytes (a gateway answer is a few kilobytes). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bytes of an error (non-2xx) body kept; the rest is discarded unread. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

// Statuses whose Response may not carry a body.
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Reads `response`'s body (cancelling it once `signal` aborts, or once an
 * error body passes {@link MAX_ERROR_BODY_BYTES}) and returns an equivalent
 * response with the bytes in memory. Rejects with `signal.reason` on abort,
 * with the stream's error when the body breaks off, and with an
 * {@link UnexpectedResponseError} for a success body over {@link MAX_BODY_BYTES}.
 *
 * @example
 * ```ts
 * import { bufferResponse } from "./body.ts";
 * const response = await bufferResponse(new Response("hello"), undefined, "demo");
 * console.log(await response.text()); // hello
 * ```
 */
export async function bufferResponse(
  response: Response,
  signal: AbortSignal | undefined,
  operation: string,
): Promise<Response> {
  const stream = response.body;
  if (stream === null || response.status < 200 || response.type === "opaqueredirect") {
    return response;
  }
  const { ok } = response;
  const length = ok ? response.headers.get("content-length") : null;
  let bytes: Uint8Array | ArrayBuffer;
  let over = false;
  if (length !== null && /^\d{1,8}$/.test(length) && Number(length) <= MAX_BODY_BYTES) {
    // A success body of a declared length within the cap is read in one go (a
    // runtime's native read costs far less than a read loop here); an abort
    // still settles at once, and `fetch` aborts the body with its request.
    if (signal?.aborted) throw signal.reason;
    bytes = await (signal ? readUnlessAborted(response, signal) : response.arrayBuffer());
    over = bytes.byteLength > MAX_BODY_BYTES;
  } else {
    [bytes, over] = await readCapped(stream, signal, ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES);
  }
  if (over && ok) {
    throw new UnexpectedResponseError(
      `${operation}: the response body is larger than ${MAX_BODY_BYTES} bytes`,
    );
  }
  // The headers are converted once, by the constructor; the copy is then mutable.
  const init = {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  };
  const buffered = NULL_BODY.has(response.status)
    ? new Response(null, init)
    : new (bufferedResponseClass())(
      bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes),
      init,
    );
  if (over) buffered.headers.delete("content-length");
  return buffered;
}

/** `response.arrayBuffer()`, or `signal.reason` as soon as `signal` aborts (one promise, one listener). */
function readUnlessAborted(response: Response, signal: AbortSignal): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    response.arrayBuffer().then((bytes) => {
      signal.removeEventListener("abort", onAbort);
      resolve(bytes);
    }, (error: unknown) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

let BufferedResponse: (new (bytes: Uint8Array, init: ResponseInit) => Response) | undefined;

/**
 * A `Response` over bytes already in memory: `json()`, `text()`, `arrayBuffer()` and
 * `bytes()` read them directly, and a real body stream is built only when something
 * asks for one (`body`, `blob()`, `formData()`, `clone()`). Building a stream for every
 * call's few hundred bytes, then reading it back, cost more on Node than the request's
 * own `fetch` machinery (issue 25). Defined on first use: touching the global
 * `Response` at import time makes Node 20 load its fetch implementation.
 */
function bufferedResponseClass(): new (bytes: Uint8Array, init: ResponseInit) => Response {
  return BufferedResponse ??= class extends Response {
    #bytes: Uint8Array | undefined;
    #init: ResponseInit;
    #streamed: Response | undefined;

    constructor(bytes: Uint8Array, init: ResponseInit) {
      super(null, init);
      this.#bytes = bytes;
      this.#init = init;
    }

    /** The real response the stream-shaped parts delegate to, built once. */
    #real(): Response {
      if (!this.#streamed) {
        const used = this.#bytes === undefined;
        this.#streamed = new Response((this.#bytes ?? new Uint8Array(0)) as BodyInit, this.#init);
        // Already read: the real one is used too (a second read fails the same way).
        if (used) this.#streamed.arrayBuffer().catch(() => {});
      }
      return this.#streamed;
    }

    /** The bytes, once: a second read fails as a used body does. */
    #take(): Promise<Uint8Array> {
      const bytes = this.#bytes;
      if (bytes === undefined) {
        return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
      }
      this.#bytes = undefined;
      return Promise.resolve(bytes);
    }

    override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
      return this.#real().body;
    }
    override get bodyUsed(): boolean {
      return this.#streamed ? this.#streamed.bodyUsed : this.#bytes === undefined;
    }
    override json(): Promise<unknown> {
      if (this.#streamed) return this.#streamed.json();
      return this.#take().then((bytes) => JSON.parse(decoder.decode(bytes)));
    }
    override text(): Promise<string> {
      if (this.#streamed) return this.#streamed.text();
      return this.#take().then((bytes) => decoder.decode(bytes));
    }
    override arrayBuffer(): Promise<ArrayBuffer> {
      if (this.#streamed) return this.#streamed.arrayBuffer();
      return this.#take().then((bytes) => ownBuffer(bytes));
    }
    override bytes(): Promise<Uint8Array<ArrayBuffer>> {
      if (this.#streamed) return this.#streamed.bytes();
      return this.#take().then((bytes) => new Uint8Array(ownBuffer(bytes)));
    }
    override blob(): Promise<Blob> {
      return this.#real().blob();
    }
    override formData(): Promise<FormData> {
      return this.#real().formData();
    }
    override clone(): Response {
      return this.#real().clone();
    }
  };
}

const decoder = /* @__PURE__ */ new TextDecoder();

/** The bytes as an `ArrayBuffer` of their own (no copy when they already span one). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
      bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : bytes.slice().buffer;
}

/** Reads `stream` to its end or to `cap` bytes (then cancels it): the bytes, and whether it was over. */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  cap: number,
): Promise<[Uint8Array, boolean]> {
  const reader = stream.getReader();
  const onAbort = () => {
    reader.cancel(signal!.reason).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  let over = false;
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (done) break;
      if (size + value.byteLength > cap) {
        chunks.push(value.subarray(0, cap - size));
        size = cap;
        over = true;
        await reader.cancel().catch(() => {});
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (chunks.length === 1) return [chunks[0]!, over];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return [bytes, over];
}
