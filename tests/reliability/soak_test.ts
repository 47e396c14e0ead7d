/**
 * The bounded fault soak (see `_soak_harness.ts`): 10 workers, 1 000 calls,
 * faults at a fixed seed, virtual time. `npm run soak` runs the full one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTable, runSoak } from "./_soak_harness.ts";

test("bounded fault soak: no leaks, no over-limit requests, typed failures, no duplicates", async () => {
  const report = await runSoak({
    workers: 10,
    calls: 1_000,
    seed: 20260101,
    faultRate: 0.15,
    sandboxes: 3,
    attach: true,
  });
  console.log(formatTable(report));
  assert.deepEqual(report.violations, []);
  // The run exercised what it claims to (non-vacuous).
  assert.ok(report.calls >= 1_000, `calls: ${report.calls}`);
  assert.ok(report.callsFailed > 20, `failures seen: ${report.callsFailed}`);
  assert.ok(Object.keys(report.faultsByKind).length >= 10, JSON.stringify(report.faultsByKind));
  assert.ok(report.retriesSeen > 20, `retries: ${report.retriesSeen}`);
  assert.ok(report.rateLimitWaits > 20, `rate-limit waits: ${report.rateLimitWaits}`);
  assert.ok(report.secretsTracked > 10, `secrets tracked: ${report.secretsTracked}`);
  // The new kinds ran: trickled and endless bodies, event-loop stalls, attach flows.
  assert.ok((report.faultsByKind.trickle ?? 0) > 0 && (report.faultsByKind.endless ?? 0) > 0);
  assert.ok(report.stalls > 0, `stalls: ${report.stalls}`);
  assert.ok(report.attaches.attempted > 10, JSON.stringify(report.attaches));
});

test("the soak's accounting catches a retry policy that repeats a POST whose answer was lost", async () => {
  const report = await runSoak({
    workers: 4,
    calls: 300,
    seed: 7,
    faultRate: 0.3,
    sandboxes: 2,
    scanSecrets: false,
    sabotageReplayLostPosts: true,
    // Lost answers on creates are what the sabotage replays: drawn often enough that every
    // run has some, whatever the interleaving (with all 13 kinds a run on Node once had none).
    kinds: ["lost-response", "500", "slow"],
  });
  assert.ok(report.duplicates > 0, formatTable(report));
  assert.ok(report.violations.some((v) => v.includes("duplicate")), report.violations.join("\n"));
  assert.ok(report.violations.some((v) => v.includes("leaked")), report.violations.join("\n"));
});
