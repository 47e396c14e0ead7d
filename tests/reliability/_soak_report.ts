/**
 * The fault soak's options and report (see `_soak_harness.ts`), the guarantees a report is judged
 * by, and the report as the table `npm run soak` and the bounded soak print.
 *
 * @module
 */
import type { FaultKind } from "../../src/testing/mod.ts";

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
  /** Add PTY attach flows (not seed-exact, see `_soak_harness.ts`). Default false. */
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

/**
 * The guarantees a run is judged by, one line per broken one. `unattributed`: create requests the
 * ledger could not attribute; `leaks`: a few secret leaks, described.
 */
export function violationsOf(
  report: Omit<SoakReport, "violations">,
  found: { unattributed: number; leaks: string[] },
): string[] {
  const v: string[] = [];
  const { leaks, liveAfterJanitor: after, untypedFailures: untyped } = report;
  if (leaks.exposures !== 0 || leaks.sshSessions !== 0 || leaks.ptys !== 0) {
    v.push(`leaked resources beyond accounted orphans: ${JSON.stringify(leaks)}`);
  }
  if (after.exposures + after.sshSessions + after.ptys !== 0) {
    v.push(`resources still live after the janitor: ${JSON.stringify(after)}`);
  }
  if (report.overLimit !== 0) v.push(`${report.overLimit} requests served above 20 / 60 s`);
  if (report.unhandledRejections !== 0) {
    v.push(`${report.unhandledRejections} unhandled rejections`);
  }
  if (untyped.length !== 0) v.push(`untyped failures: ${untyped.slice(0, 5).join(" | ")}`);
  if (report.duplicates !== 0) {
    v.push(`${report.duplicates} duplicate resources from retried POSTs`);
  }
  if (found.unattributed !== 0) {
    v.push(`${found.unattributed} create requests the harness could not attribute`);
  }
  const { calls } = report.options;
  if (report.calls < calls) v.push(`only ${report.calls} of ${calls} calls ran`);
  if (report.secretLeaks !== 0) {
    v.push(`${report.secretLeaks} secret leaks: ${found.leaks.join("; ")}`);
  }
  if (report.pendingTimers !== 0) v.push(`${report.pendingTimers} timers still pending`);
  return v;
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
