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
 * **Accounting.** Every create POST carries a per-call marker (exposure
 * `name`, PTY `args[0]`, SSH `ttl_seconds` unique among calls in flight on
 * its sandbox), so the wrapper attributes each create attempt the server
 * acted on to the client call that made it:
 *
 * - *duplicates*: a call whose POST took effect more than once (a retried
 *   POST that must not have been retried) — must be 0;
 * - *orphans*: a call whose POST took effect but whose answer was lost or
 *   garbled by an injected fault (`lost-response`, `non-json`, `empty`,
 *   `truncated-json`) or arrived after the client gave up: the client never
 *   learned the id, so it cannot clean up. They are counted explicitly, must
 *   match what is left in the emulator exactly, and are then removed by a
 *   janitor with faults off;
 * - *leaks*: anything live in the emulator beyond the orphans — must be 0.
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
import {
  PrimeIntellect,
  type Pty,
  PtyDisconnectedError,
  SandgateError,
  Tensorlake,
} from "../../mod.ts";
import { createEmulator, FAULT_KINDS, type FaultKind } from "../../src/testing/mod.ts";
import { mulberry32 } from "../../src/testing/prng.ts";
import { SECRET_API_KEY, SecretScanner } from "../helpers/secrets.ts";
import { FakeClock } from "../../src/testing/time.ts";

/** How to run the soak. */
export interface SoakOptions {
  /** Concurrent workers. */
  workers: number;
  /** SDK method calls in total (creates, lists, resizes, closes, disposals). */
  calls: number;
  /** Seed of the fault draws and of every worker's choices. */
  seed: number;
  /** Probability that a request is faulted. */
  faultRate: number;
  /** Sandboxes per provider; workers share them round-robin. */
  sandboxes: number;
  /** Mean virtual time between event-loop stalls, in ms (0: none). Default 20 000. */
  stallEveryMs?: number;
  /** Length of a stall, in (virtual) ms. Default 1 200. */
  stallMs?: number;
  /** Fault kinds to draw from, uniformly. Default: every kind. */
  kinds?: readonly FaultKind[];
  /** Add PTY attach flows (not seed-exact, see above). Default false. */
  attach?: boolean;
  /** Scan every error and handle for secrets (slower). Default true. */
  scanSecrets?: boolean;
  /**
   * Test the harness itself: re-send a create POST whose answer was lost, as
   * a broken retry policy would. The run must then report duplicates.
   */
  sabotageReplayLostPosts?: boolean;
  /** Progress lines (e.g. `console.log`). */
  log?: (line: string) => void;
}

/** What a soak run measured. */
export interface SoakReport {
  options: Omit<SoakOptions, "log">;
  realMs: number;
  virtualMs: number;
  calls: number;
  callsOk: number;
  callsFailed: number;
  failuresByError: Record<string, number>;
  untypedFailures: string[];
  requests: number;
  faultsByKind: Record<string, number>;
  retriesSeen: number;
  rateLimitWaits: number;
  stalls: number;
  attaches: { attempted: number; exited: number; killed: number; detached: number };
  creates: { attempted: number; succeeded: number; effective: number };
  duplicates: number;
  orphans: { exposures: number; sshSessions: number; ptys: number };
  liveBeforeJanitor: { exposures: number; sshSessions: number; ptys: number };
  leaks: { exposures: number; sshSessions: number; ptys: number };
  liveAfterJanitor: { exposures: number; sshSessions: number; ptys: number };
  overLimit: number;
  unhandledRejections: number;
  pendingTimers: number;
  cleanupsRetried: number;
  secretsTracked: number;
  valuesScanned: number;
  secretLeaks: number;
  /** Human-readable violations; empty when every guarantee held. */
  violations: string[];
}

// Node 20 has no Symbol.asyncDispose; sandgate's handles then use the registered symbol.
const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
const SOAK_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGsoak soak@test";
const GARBLING = new Set<FaultKind>(["non-json", "empty", "truncated-json"]);

type Resource = "exposures" | "sshSessions" | "ptys";

interface CreateCall {
  resource: Resource;
  effective: number;
  learned: boolean;
}

function onUnhandled(count: (reason: unknown) => void): () => void {
  // deno-lint-ignore no-explicit-any
  type Listener = (name: string, handler: (...args: any[]) => void) => void;
  const g = globalThis as unknown as {
    process?: { on?: Listener; off?: Listener };
    addEventListener?: Listener;
    removeEventListener?: Listener;
  };
  const seen = new Set<unknown>();
  const once = (reason: unknown) => {
    if (seen.has(reason)) return;
    seen.add(reason);
    count(reason);
  };
  const nodeHandler = (reason: unknown) => once(reason);
  const webHandler = (event: { reason: unknown; preventDefault(): void }) => {
    event.preventDefault();
    once(event.reason);
  };
  const usesProcess = typeof g.process?.on === "function";
  if (usesProcess) g.process!.on!("unhandledRejection", nodeHandler);
  if (typeof g.addEventListener === "function") {
    g.addEventListener("unhandledrejection", webHandler);
  }
  return () => {
    if (usesProcess) g.process!.off?.("unhandledRejection", nodeHandler);
    if (typeof g.removeEventListener === "function") {
      g.removeEventListener("unhandledrejection", webHandler);
    }
  };
}

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

  // Create calls in flight, by marker; and what each made happen on the server.
  const inFlight = new Map<string, CreateCall>();
  let duplicates = 0;
  let unattributed = 0;
  const createStats = { attempted: 0, succeeded: 0, effective: 0 };
  const orphans = { exposures: 0, sshSessions: 0, ptys: 0 };

  async function markerOf(request: Request): Promise<string | undefined> {
    if (request.method !== "POST") return undefined;
    const url = new URL(request.url);
    const path = url.pathname;
    let body: Record<string, unknown>;
    try {
      body = await request.clone().json();
    } catch {
      return undefined;
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/sandbox\/([^/]+)\/expose$/.exec(path))) {
      return `expose:${m[1]}:${String(body.name)}`;
    }
    if ((m = /^\/api\/v1\/sandbox\/([^/]+)\/ssh-session$/.exec(path))) {
      return `ssh:${m[1]}:${String(body.ttl_seconds)}`;
    }
    if (path === "/api/v1/pty") {
      const args = body.args as unknown[] | undefined;
      return `pty:${url.hostname.split(".")[0]}:${String(args?.[0])}`;
    }
    return undefined;
  }

  const fetch = async (request: Request): Promise<Response> => {
    const marker = await markerOf(request);
    const call = marker ? inFlight.get(marker) : undefined;
    if (marker && !call) unattributed++;
    let response: Response;
    const spare = options.sabotageReplayLostPosts && call ? request.clone() : undefined;
    try {
      response = await emulator.fetch(request);
    } catch (error) {
      if (call && faultOf.get(request) === "lost-response") call.effective++;
      if (!spare) throw error;
      response = await emulator.fetch(spare);
      if (faultOf.get(spare) === "lost-response") call!.effective++;
    }
    if (call && response.ok) call.effective++;
    if (call && response.ok && !GARBLING.has(faultOf.get(request) as FaultKind)) {
      // Learn the tokens the server handed out, to scan for them later.
      try {
        const body = await response.clone().json() as { token?: unknown };
        if (typeof body.token === "string" && body.token.length >= 8) {
          scanner.add(`token:${marker}`, body.token);
        }
      } catch { /* the client reports it */ }
    }
    return response;
  };

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

  /** Runs a create with a marker registered, and accounts for what the server did. */
  async function create<T>(
    label: string,
    marker: string,
    resource: Resource,
    run: () => Promise<T>,
  ): Promise<T | undefined> {
    if (inFlight.has(marker)) throw new Error(`soak harness: marker ${marker} reused in flight`);
    const record: CreateCall = { resource, effective: 0, learned: false };
    inFlight.set(marker, record);
    createStats.attempted++;
    try {
      const value = await call(label, run);
      record.learned = value !== undefined;
      if (record.learned) createStats.succeeded++;
      return value;
    } finally {
      inFlight.delete(marker);
      createStats.effective += record.effective;
      if (record.effective > 1) duplicates += record.effective - 1;
      if (record.effective > 0 && !record.learned) {
        orphans[resource]++;
        if (resource === "sshSessions") orphans.exposures++;
      }
      if (record.learned && record.effective === 0) {
        untyped.push(`${label}: client saw a created resource the server never created`);
      }
    }
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

  async function exposeFlow(w: number): Promise<void> {
    const i = w % options.sandboxes;
    const sb = primeSandboxes[i]!;
    const name = `c${++seq}`;
    const protocol = random() < 0.5 ? "http" : "TCP";
    const port = 22 + Math.floor(random() * 8979);
    const exposure = await create(
      "exposePort",
      `expose:${sandboxNames[i]}:${name}`,
      "exposures",
      () => sb.exposePort({ port, name, protocol }),
    );
    if (!exposure) return;
    if (scan) toScan.push([exposure, "exposure handle"]);
    await scope("dispose exposure", exposure, async (e) => {
      if (random() < 0.3 && budgetLeft()) await call("listExposures", () => sb.listExposures());
      if (random() < 0.2 && budgetLeft()) await call("unexpose", () => e.unexpose());
    });
  }

  async function sshFlow(w: number): Promise<void> {
    const i = w % options.sandboxes;
    const sb = primeSandboxes[i]!;
    const ttlSeconds = 3600 - (++sshSeq % 3000);
    const session = await create(
      "createSshSession",
      `ssh:${sandboxNames[i]}:${ttlSeconds}`,
      "sshSessions",
      () => sb.createSshSession({ ttlSeconds }),
    );
    if (!session) return;
    if (scan) toScan.push([session, "SSH session handle"]);
    await scope("dispose SSH session", session, async (s) => {
      if (random() < 0.5) {
        const command = s.sshCommand({ identityFile: "~/.ssh/id_ed25519" });
        if (scan) toScan.push([command, "sshCommand"]);
      }
      if (random() < 0.3 && budgetLeft()) {
        await call("authorizeKey", () => s.authorizeKey(SOAK_PUBLIC_KEY));
      }
      if (random() < 0.2 && budgetLeft()) {
        await call("closeSshSession", () => sb.closeSshSession(s.sessionId));
      }
    });
  }

  async function ptyFlow(w: number): Promise<void> {
    const i = w % options.sandboxes;
    const sb = tlSandboxes[i]!;
    const marker = `c${++seq}`;
    const pty = await create(
      "createPty",
      `pty:${sandboxNames[i]}:${marker}`,
      "ptys",
      () => sb.createPty({ command: "/bin/sh", args: [marker], rows: 24, cols: 80 }),
    );
    if (!pty) return;
    if (scan) toScan.push([pty, "PTY handle"]);
    await scope("dispose PTY", pty, async (p) => {
      const id = p.sessionId;
      if (random() < 0.6 && budgetLeft()) {
        const rows = 1 + Math.floor(random() * 200);
        const cols = 1 + Math.floor(random() * 400);
        await call("resizePty", () => sb.resizePty(id, { rows, cols }));
      }
      if (options.attach && random() < 0.3 && budgetLeft()) await attachFlow(p);
      if (random() < 0.2 && budgetLeft()) await call("getPty", () => sb.getPty(id));
      if (random() < 0.1 && budgetLeft()) await call("listPtys", () => sb.listPtys());
      if (random() < 0.2 && budgetLeft()) await call("killPty", () => sb.killPty(id));
    });
  }

  /** Attach, type, read the echo, then exit, kill or detach: one call. */
  async function attachFlow(p: Pty): Promise<void> {
    attaches.attempted++;
    const ending = random();
    await call("attach", async () => {
      const connection = await p.attach({ timeoutMs: 10_000 });
      if (scan) toScan.push([connection, "PTY connection"]);
      const reader = connection.output.getReader();
      const writer = connection.input.getWriter();
      const marker = `m${++seq}`;
      await writer.write(`echo ${marker}\r`);
      let seen = "";
      const decoder = new TextDecoder();
      while (!seen.includes(`${marker}\r\n`) && seen.length < 64 * 1024) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      if (ending < 0.3) {
        await writer.write("exit 0\r");
      } else if (ending < 0.5) {
        await p.kill();
      } else {
        await connection.close();
      }
      const exit = await connection.exit;
      if (scan) toScan.push([exit, "PTY exit"]);
      if (exit.kind === "exited") attaches.exited++;
      else if (exit.kind === "killed") attaches.killed++;
      else if (exit.error instanceof PtyDisconnectedError && exit.error.byClient) {
        attaches.detached++;
      } else throw exit.error;
      reader.releaseLock();
      writer.releaseLock();
    });
  }

  const flows = [exposeFlow, sshFlow, ptyFlow];
  async function worker(w: number): Promise<void> {
    while (budgetLeft()) {
      await flows[Math.floor(random() * flows.length)]!(w);
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
      exposures: liveBefore.exposures - orphans.exposures,
      sshSessions: liveBefore.sshSessions - orphans.sshSessions,
      ptys: liveBefore.ptys - orphans.ptys,
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
      creates: createStats,
      duplicates,
      orphans,
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
    const v = report.violations;
    if (leaks.exposures !== 0 || leaks.sshSessions !== 0 || leaks.ptys !== 0) {
      v.push(`leaked resources beyond accounted orphans: ${JSON.stringify(leaks)}`);
    }
    const after = report.liveAfterJanitor;
    if (after.exposures + after.sshSessions + after.ptys !== 0) {
      v.push(`resources still live after the janitor: ${JSON.stringify(after)}`);
    }
    if (report.overLimit !== 0) v.push(`${report.overLimit} requests served above 20 / 60 s`);
    if (unhandled !== 0) v.push(`${unhandled} unhandled rejections`);
    if (untyped.length !== 0) v.push(`untyped failures: ${untyped.slice(0, 5).join(" | ")}`);
    if (duplicates !== 0) v.push(`${duplicates} duplicate resources from retried POSTs`);
    if (unattributed !== 0) {
      v.push(`${unattributed} create requests the harness could not attribute`);
    }
    if (report.calls < options.calls) v.push(`only ${report.calls} of ${options.calls} calls ran`);
    if (report.secretLeaks !== 0) {
      v.push(
        `${report.secretLeaks} secret leaks: ${
          scanner.leaks.slice(0, 3).map((l) => `${l.secret} in ${l.how} of ${l.label}`).join("; ")
        }`,
      );
    }
    if (report.pendingTimers !== 0) v.push(`${report.pendingTimers} timers still pending`);
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

/** The report as a two-column table. */
export function formatTable(r: SoakReport): string {
  const row = (k: string, v: string | number) => [k, String(v)] as const;
  const rows: (readonly [string, string])[] = [
    row("workers × calls", `${r.options.workers} × ${r.options.calls}`),
    row("seed / fault rate", `${r.options.seed} / ${r.options.faultRate}`),
    row("sandboxes per provider", r.options.sandboxes),
    row("real time", `${(r.realMs / 1000).toFixed(1)} s`),
    row("virtual time", `${(r.virtualMs / 60_000).toFixed(1)} min`),
    row("calls ok / failed", `${r.callsOk} / ${r.callsFailed}`),
    row(
      "failures by error",
      Object.entries(r.failuresByError).map(([k, n]) => `${k} ${n}`).join(", ") || "-",
    ),
    row("requests to the emulator", r.requests),
    row("retries / rate-limit waits", `${r.retriesSeen} / ${r.rateLimitWaits}`),
    row("event-loop stalls injected", r.stalls),
    row(
      "attaches / exited / killed / detached",
      `${r.attaches.attempted} / ${r.attaches.exited} / ${r.attaches.killed} / ${r.attaches.detached}`,
    ),
    row(
      "faults injected",
      Object.entries(r.faultsByKind).map(([k, n]) => `${k} ${n}`).join(", ") || "-",
    ),
    row(
      "creates attempted / ok / took effect",
      `${r.creates.attempted} / ${r.creates.succeeded} / ${r.creates.effective}`,
    ),
    row(
      "orphans (answer lost, accounted)",
      `${r.orphans.exposures} exp (incl. SSH), ${r.orphans.sshSessions} ssh, ${r.orphans.ptys} pty`,
    ),
    row("cleanups retried after a failed dispose", r.cleanupsRetried),
    row(
      "✔ leaked exposures / sessions / PTYs",
      `${r.leaks.exposures} / ${r.leaks.sshSessions} / ${r.leaks.ptys}`,
    ),
    row(
      "✔ live after janitor",
      `${r.liveAfterJanitor.exposures} / ${r.liveAfterJanitor.sshSessions} / ${r.liveAfterJanitor.ptys}`,
    ),
    row("✔ requests served above 20 / 60 s", r.overLimit),
    row("✔ unhandled rejections", r.unhandledRejections),
    row("✔ failures that were not a SandgateError", r.untypedFailures.length),
    row("✔ duplicate resources from retried POSTs", r.duplicates),
    row(
      "✔ secret occurrences",
      `${r.secretLeaks} (${r.secretsTracked} secrets, ${r.valuesScanned} values)`,
    ),
    row("✔ timers left pending", r.pendingTimers),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v}`);
  return [...lines, r.violations.length === 0 ? "PASS" : `FAIL:\n- ${r.violations.join("\n- ")}`]
    .join("\n");
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
