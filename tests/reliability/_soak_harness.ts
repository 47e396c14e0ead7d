/**
 * The fault soak: N concurrent workers run random flows (expose/list/unexpose,
 * create/authorize/close SSH, create/resize/get/kill PTY) through the
 * high-level API, with `await using`, against the in-process emulator with
 * faults injected at a fixed seed. Used by `tests/reliability/soak_test.ts`
 * (bounded) and `scripts/soak.ts` (full run, prints the table).
 *
 * **Time is virtual.** The SDK and the emulator share a {@link FakeClock} (auto-advancing)
 * that jumps to the next timer whenever the process is idle, so rate-limit
 * waits (20 / 60 s per token and sandbox), backoffs, `Retry-After` pauses and
 * slow faults cost no real time while keeping their order. Requests go
 * in-process to `emulator.fetch` (no sockets), through a recording wrapper.
 *
 * **Accounting** (`_soak_ledger.ts`): duplicates and orphans of creates must add up to
 * what is left in the emulator; anything more is a leak.
 *
 * **Fault kinds.** Every emulator {@link FAULT_KINDS} kind, drawn uniformly:
 * statuses, resets, slow answers, garbled bodies, lost answers, trickled
 * bodies and endless bodies (bounded by the client's `timeoutMs`). On top,
 * the harness itself injects *event-loop stalls*: at seeded virtual times,
 * time jumps by `stallMs` at once with no timer firing in between — what a
 * process busy for that long looks like to its timers: rate-limit waits,
 * backoffs and timeouts all end late, together — and the server's rate limit
 * must still hold. (A delay *after* `fetch` is called is network latency, not
 * a stall: no client can keep a server window through latency swings larger
 * than its margin.) *Keep-alive drops after a
 * POST* are served-only: they are a transport behaviour (Deno's fetch resends
 * a POST on a reused connection the server dropped), and in-process there is
 * no connection; their application-level effect (processed, answer lost) is
 * `lost-response`, and the transport case is
 * tests/reliability/hostile_body_test.ts against a real socket.
 *
 * **PTY attach** (`attach: true`; `npm run soak` and the bounded soak turn
 * it on): some PTY flows attach over the emulator's in-process WebSocket,
 * type a command, read its echo and then detach, exit or kill; exits and
 * errors are scanned for the token like everything else.
 *
 * **Determinism.** Fault draws, flow choices and stall times come from the
 * seed. The exact figures of a run are not seed-exact, and were not before
 * attach either (two runs of one seed in one process differ slightly): the
 * virtual clock jumps on real macrotask turns, whose order against other
 * real timers (timer clamping, the in-process WebSocket) depends on timing.
 * Every guarantee holds on every run.
 *
 * @module
 */
import { PrimeIntellect, SandgateError, Tensorlake } from "../../mod.ts";
import { createEmulator, FAULT_KINDS, type FaultKind } from "../../src/testing/mod.ts";
import { mulberry32 } from "../../src/testing/prng.ts";
import { SECRET_API_KEY, SecretScanner } from "../helpers/secrets.ts";
import { onUnhandled } from "../helpers/unhandled.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { FLOWS, type SoakKit } from "./_soak_flows.ts";
import { CreateLedger, type Resource } from "./_soak_ledger.ts";
import { type SoakOptions, type SoakReport, violationsOf } from "./_soak_report.ts";

export { formatTable, type SoakOptions, type SoakReport } from "./_soak_report.ts";

// Node 20 has no Symbol.asyncDispose; sandgate's handles then use the registered symbol.
const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;

function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return typeof error;
}

/** Runs the soak and returns its figures; never throws for a violated guarantee. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const clock = new FakeClock(undefined, { autoAdvance: true });
  const virtualStart = clock.now();
  const random = mulberry32(options.seed);
  const faultRandom = mulberry32(options.seed ^ 0x9e3779b9);
  const stallRandom = mulberry32(options.seed ^ 0x5a11ed);
  const stallEveryMs = options.stallEveryMs ?? 20_000;
  const stallMs = options.stallMs ?? 1_200;
  let stalls = 0;
  const stopStalls = new AbortController();
  /** Stalls the "event loop" at seeded virtual times until the workers are done. */
  async function staller(): Promise<void> {
    while (stallEveryMs > 0 && !stopStalls.signal.aborted) {
      try {
        await clock.sleep(stallRandom() * 2 * stallEveryMs, stopStalls.signal);
      } catch {
        return;
      }
      stalls++;
      clock.advance(stallMs);
    }
  }
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY });
  const scan = options.scanSecrets ?? true;

  let faultsOn = true;
  const faultOf = new WeakMap<Request, FaultKind | null>();
  const emulator = createEmulator({
    seed: options.seed,
    clock,
    apiKeys: [SECRET_API_KEY],
    rateLimit: { enforce: false },
    faults: {
      slowMs: 1_500,
      retryAfterSeconds: 2,
      decide({ request, api }) {
        if (!faultsOn || api === "unknown") return recordFault(request, null);
        if (faultRandom() >= options.faultRate) return recordFault(request, null);
        const kinds = options.kinds ?? FAULT_KINDS;
        const kind = kinds[Math.floor(faultRandom() * kinds.length)]!;
        return recordFault(request, kind);
      },
    },
  });
  function recordFault(request: Request, kind: FaultKind | null): FaultKind | null {
    faultOf.set(request, kind);
    return kind;
  }

  const ledger = new CreateLedger();
  const fetch = ledger.fetch(emulator.fetch, faultOf, {
    replayLostPosts: options.sabotageReplayLostPosts ?? false,
    learnToken: (marker, token) => scanner.add(`token:${marker}`, token),
  });

  let retriesSeen = 0;
  let rateLimitWaits = 0;
  const common = {
    apiKey: SECRET_API_KEY,
    fetch,
    clock,
    onRetry: () => void retriesSeen++,
    onRateLimit: () => void rateLimitWaits++,
  };
  const prime = new PrimeIntellect(common);
  const tensorlake = new Tensorlake({ ...common, webSocket: emulator.webSocket });
  const attaches = { attempted: 0, exited: 0, killed: 0, detached: 0 };
  const sandboxNames = Array.from({ length: options.sandboxes }, (_, i) => `soak-${i + 1}`);
  const primeSandboxes = sandboxNames.map((id) => prime.sandbox(id));
  const tlSandboxes = sandboxNames.map((id) => tensorlake.sandbox(id));

  let unhandled = 0;
  const stopListening = onUnhandled(() => unhandled++);

  let callsStarted = 0;
  let callsOk = 0;
  let callsFailed = 0;
  const failuresByError: Record<string, number> = {};
  const untyped: string[] = [];
  const pendingCleanups: { label: string; run: () => Promise<unknown> }[] = [];
  let sshSeq = 0;
  let seq = 0;
  const toScan: [unknown, string][] = [];

  const budgetLeft = () => callsStarted < options.calls;

  function recordFailure(error: unknown, label: string): void {
    callsFailed++;
    const parts = isSuppressedError(error) ? [error.error, error.suppressed] : [error];
    for (const part of parts) {
      const name = errorName(part);
      failuresByError[name] = (failuresByError[name] ?? 0) + 1;
      if (!(part instanceof SandgateError)) {
        untyped.push(`${label}: ${name}: ${part instanceof Error ? part.message : String(part)}`);
      }
      if (scan) toScan.push([part, `error from ${label}`]);
    }
  }

  /** Runs one SDK call, counting it; failures are recorded and swallowed. */
  async function call<T>(label: string, run: () => Promise<T>): Promise<T | undefined> {
    callsStarted++;
    try {
      const value = await run();
      callsOk++;
      return value;
    } catch (error) {
      recordFailure(error, label);
      return undefined;
    }
  }

  /** Runs a create with its marker in the ledger, counted as one call. */
  function create<T>(
    label: string,
    marker: string,
    resource: Resource,
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    return ledger.track(label, marker, resource, () => call(label, run), untyped);
  }

  /**
   * Runs `body` in an `await using` scope over `handle`, sometimes throwing
   * at the end of the scope; the disposal counts as one call. A disposal
   * that fails is remembered and retried at the end (what a careful caller
   * does), so that a fault burst does not turn into a leak.
   */
  async function scope<T extends AsyncDisposable>(
    label: string,
    handle: T,
    body: (handle: T) => Promise<void>,
  ): Promise<void> {
    const fail = random() < 0.1;
    callsStarted++;
    try {
      await using scoped = handle;
      await body(scoped);
      if (fail) throw new SyntheticFailure();
    } catch (error) {
      if (error instanceof SyntheticFailure) {
        callsOk++; // the scope threw on purpose; the disposal itself succeeded
        return;
      }
      pendingCleanups.push({ label, run: async () => await handle[ASYNC_DISPOSE]() });
      recordFailure(
        isSuppressedError(error) && error.suppressed instanceof SyntheticFailure
          ? error.error
          : error,
        label,
      );
      return;
    }
    callsOk++;
  }

  const kit: SoakKit = {
    random,
    budgetLeft,
    names: sandboxNames,
    prime: primeSandboxes,
    tensorlake: tlSandboxes,
    attach: options.attach ?? false,
    attaches,
    next: () => ++seq,
    nextSsh: () => ++sshSeq,
    keep: (value, label) => void (scan && toScan.push([value, label])),
    call,
    create,
    scope,
  };
  async function worker(w: number): Promise<void> {
    while (budgetLeft()) {
      await FLOWS[Math.floor(random() * FLOWS.length)]!(kit, w);
    }
  }

  const progress = setInterval(() => {
    log(
      `  … ${callsStarted}/${options.calls} calls, virtual ${
        ((clock.now() - virtualStart) / 60_000).toFixed(1)
      } min`,
    );
  }, 2_000);
  try {
    const stalling = staller();
    await Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)));
    stopStalls.abort();
    await stalling;

    // Retry failed cleanups (what a careful caller does after a failed dispose).
    let cleanupsRetried = 0;
    for (let round = 0; round < 5 && pendingCleanups.length > 0; round++) {
      const batch = pendingCleanups.splice(0);
      for (const item of batch) {
        cleanupsRetried++;
        try {
          await item.run();
        } catch (error) {
          recordFailure(error, `${item.label} (retried)`);
          pendingCleanups.push(item);
        }
      }
    }

    const liveBefore = emulator.live();
    const leaks = {
      exposures: liveBefore.exposures - ledger.orphans.exposures,
      sshSessions: liveBefore.sshSessions - ledger.orphans.sshSessions,
      ptys: liveBefore.ptys - ledger.orphans.ptys,
    };

    // Janitor: remove the accounted orphans with faults off.
    faultsOn = false;
    const snapshot = emulator.snapshot();
    for (const [name, state] of Object.entries(snapshot.sandboxes)) {
      const pi = prime.sandbox(name);
      for (const e of state.exposures) {
        if (!e.ssh_session_id) await pi.unexposePort(e.exposure_id).catch(() => {});
      }
      for (const s of state.sshSessions) await pi.closeSshSession(s.session_id).catch(() => {});
      const tl = tensorlake.sandbox(name);
      for (const p of state.ptys) await tl.killPty(p.session_id).catch(() => {});
    }
    const liveAfter = emulator.live();

    if (scan) {
      for (const [value, label] of toScan) await scanner.scan(value, label);
    }
    await clock.sleep(0);
    const stats = emulator.stats;
    const report: SoakReport = {
      options: {
        workers: options.workers,
        calls: options.calls,
        seed: options.seed,
        faultRate: options.faultRate,
        sandboxes: options.sandboxes,
        scanSecrets: scan,
      },
      realMs: performance.now() - started,
      virtualMs: clock.now() - virtualStart,
      calls: callsStarted,
      callsOk,
      callsFailed,
      failuresByError,
      untypedFailures: untyped,
      requests: stats.requests,
      faultsByKind: { ...stats.faultsByKind },
      retriesSeen,
      rateLimitWaits,
      stalls,
      attaches,
      creates: ledger.stats,
      duplicates: ledger.duplicates,
      orphans: ledger.orphans,
      liveBeforeJanitor: pick(liveBefore),
      leaks,
      liveAfterJanitor: pick(liveAfter),
      overLimit: stats.overLimit,
      unhandledRejections: unhandled,
      pendingTimers: clock.pending,
      cleanupsRetried,
      secretsTracked: scanner.size,
      valuesScanned: scanner.scanned,
      secretLeaks: scanner.leaks.length,
      violations: [],
    };
    report.violations.push(...violationsOf(report, {
      unattributed: ledger.unattributed,
      leaks: scanner.leaks.slice(0, 3).map((l) => `${l.secret} in ${l.how} of ${l.label}`),
    }));
    return report;
  } finally {
    clearInterval(progress);
    stopListening();
    clock.close();
  }

  function pick(l: { exposures: number; sshSessions: number; ptys: number }) {
    return { exposures: l.exposures, sshSessions: l.sshSessions, ptys: l.ptys };
  }
}

/** Thrown inside a flow's scope to prove `await using` cleans up on throw. */
class SyntheticFailure extends SandgateError {
  constructor() {
    super("synthetic failure inside an `await using` scope");
  }
}

/**
 * `error instanceof SuppressedError` throws on Node 20, which has no such
 * global; the TypeScript downlevel of `await using` creates errors of that name.
 */
function isSuppressedError(
  error: unknown,
): error is Error & { error: unknown; suppressed: unknown } {
  return error instanceof Error && error.name === "SuppressedError" && "suppressed" in error;
}
