/**
 * Analysis BENCHMARKS.md carries next to the numbers: why a target is missed
 * and what would fix it. Causes were established with the layer breakdown,
 * standalone reproductions and `esbuild --analyze`; the text adapts to the
 * run's verdicts.
 *
 * @module
 */
import type { Results } from "./targets.ts";
import { MAX_BYTES_PER_CALL, MAX_CALL_RATIO, MAX_FLATNESS, MAX_NODE_IMPORT_MS } from "./targets.ts";

type Section = "overhead" | "bundle" | "import" | "limiter" | "heap";

/** Notes per section of the report, computed from the run's results. */
export const NOTES: Record<Section, (r: Results) => string> = {
  overhead(r) {
    const high = r.overhead.loopback.find((row) => row.name.includes("high-level"));
    const bare = r.overhead.loopback.find((row) => row.name.includes("bare"));
    if (!high || !bare) return "";
    const extraUs = high.stats.p50 - bare.stats.p50;
    const met = high.ratioP50 <= MAX_CALL_RATIO && high.ratioMean <= MAX_CALL_RATIO;
    return [
      met
        ? "**Target met.**"
        : `**Target missed** by ${
          ((high.ratioP50 / MAX_CALL_RATIO - 1) * 100).toFixed(0)
        } % (p50). sandgate adds about ${extraUs.toFixed(0)} µs per call (p50) on loopback,`,
      met ? "" : [
        "against a server that answers in tens of µs; against the real gateway (a TLS round trip",
        "of tens of ms) the same microseconds are well under 1 % of a call. The layer breakdown",
        "shows where they go, and all of it is ours and fixable in `src/middleware/` and",
        "`src/transport.ts` (owned by the middleware work; not changed here):",
        "",
        "- *guard + auth* is the largest step: `followRedirects` clones every request that has a",
        "  body (`request.clone()`, a stream tee) in case a 307/308 asks to resend it, then builds",
        "  a new `Headers` and a new `Request` to set `Authorization`; the guard parses the URL",
        "  again and runs a regex over it.",
        "- *timeout* creates two `AbortController`s, an `AbortSignal.any`, a timer, a `raceAbort`",
        "  promise and re-wraps the `Request` to attach the combined signal, on every call.",
        "- *retry* clones a POST's body for every attempt but the last, although a POST is only",
        "  retried after a 429 or a failure before sending.",
        "- *rate limit* draws a `crypto.randomUUID()` and books in the store (see 4).",
        "",
        "Cheap fixes, in order of payoff: read the body once at the top of the stack",
        "(`await request.arrayBuffer()` in the transport's `fetch`, bodies here are small JSON) and",
        "build each attempt's `Request` from that buffer with the final headers, signal and",
        '`redirect: "manual"` in one construction — this removes both tees and two of the three',
        "re-wraps; in the timeout layer, skip `AbortSignal.any` when the request carries no",
        "user signal (use the timer's signal directly); use a counter instead of `randomUUID` for",
        "reservation ids (they only need to be unique within the store).",
      ].join("\n"),
      "",
      "p99 and the means are dominated by garbage-collection pauses of the per-call `Request`,",
      "stream and signal objects (the bare client pays them too, less often); compare p50s.",
      "In-process ratios are larger because nothing but the SDK is measured there.",
    ].join("\n");
  },
  bundle(r) {
    const full = r.bundle.find((b) => b.name.startsWith("full"));
    const low = r.bundle.find((b) => b.name.startsWith("low-level"));
    if (!full) return "";
    return [
      full.gzipBytes <= 9000
        ? "**Target met.**"
        : `**Target missed** by ${
          ((full.gzipBytes / 9000 - 1) * 100).toFixed(0)
        } %: the full client is ${(full.gzipBytes / 1000).toFixed(1)} kB min+gz.`,
      "Every export of `mod.ts` includes both providers' high-level APIs (sandbox handles, SSH",
      "helpers, PTY handles), request validation, the error classes and a pure-JS SHA-256 for",
      "token hashing; `esbuild --analyze` lists openapi-fetch (≈ 16 % of the minified bytes),",
      "`src/validate.ts`, the two `sandbox.ts`, `src/errors.ts`, `ssh.ts`, `transport.ts`,",
      "`request.ts` and `token_hash.ts` as the largest parts.",
      low
        ? `Even the low-level client alone (${
          (low.gzipBytes / 1000).toFixed(1)
        } kB) carries the whole middleware stack,`
        : "",
      "because `createTransport` references every layer. Ways down: per-provider entry points",
      "(`sandgate/primeintellect`, `sandgate/tensorlake`) so a consumer of one provider does not",
      "bundle the other; `crypto.subtle.digest` instead of the bundled SHA-256 where async is",
      "acceptable; shorter error messages built from tables.",
    ].join("\n");
  },
  import(r) {
    const node = r.importTime.rows.find((row) => row.runtime.startsWith("node"));
    if (!node) return "";
    return [
      node.importMs <= MAX_NODE_IMPORT_MS
        ? "**Target met on Node.**"
        : `**Target missed on Node** by ${(node.importMs - MAX_NODE_IMPORT_MS).toFixed(1)} ms.`,
      "Node's ESM loader resolves, reads and compiles each file separately, and `npm/esm` is",
      "one file per source module, each its own resolution, read and compile.",
      "Fix (npm build): also emit a single bundled `esm/mod.js` (esbuild, openapi-fetch",
      "external) as the package entry; Bun and Deno load the many files much faster.",
    ].join("\n");
  },
  limiter(r) {
    const flat = r.limiter.flatness <= MAX_FLATNESS;
    return [
      r.limiter.fleet.aboveLimit === 0
        ? "No send ever exceeded 20 in a 60 s window; utilisation reaches the ceiling the 500 ms margin allows."
        : "**Sends above the limit were found**: the store's booking rule is wrong.",
      "",
      flat ? "Per-call cost is flat in the number of keys." : [
        `**Per-call cost is not flat** (${
          r.limiter.flatness.toFixed(1)
        }× from fewest to most keys). Cause, in`,
        "`src/middleware/memory_store.ts` (middleware work; not changed here): `sweep()` opens",
        "a fresh `entries.keys()` iterator on every `reserve`, and `touch()`/`sweep()` move keys",
        "to the tail by `delete` + `set`. V8's ordered hash map leaves a tombstone per delete at",
        "the front until it rehashes, and a fresh iterator skips all of them: with 100 000 keys,",
        "tens of thousands per call. A standalone reproduction (Map of N keys, the same",
        "operations) costs 315 ns / 870 ns / 61 µs at 10 / 1 000 / 100 000 keys; with a",
        "persistent cursor and no reordering, 65 / 11 / 67 ns. Fix: keep one iterator across",
        "calls (clock sweep), examine two entries per call, delete the idle ones, create a new",
        "iterator only when it is exhausted, and stop re-inserting keys on use. Eviction stays",
        "bounded (every key is examined once per size / 2 calls).",
      ].join("\n"),
      "",
      "Idle keys are forgotten lazily (a few per call, no timers): after the idle phase the",
      "store holds only the keys still in use and the heap is back where it started.",
    ].join("\n");
  },
  heap(r) {
    return r.heap.bytesPerCall <= MAX_BYTES_PER_CALL
      ? "Bounded: the heap stays flat after warm-up (no per-call leak in the client, limiter, timers or emulator)."
      : [
        `**Growth above ${MAX_BYTES_PER_CALL} B/call.** Readings are taken after yielding to the event loop and`,
        "three forced GCs (`WeakRef`s from `AbortSignal.any` survive until the job ends); a steady",
        "slope over all checkpoints is a leak, growth only before the second checkpoint is warm-up.",
      ].join("\n");
  },
};
