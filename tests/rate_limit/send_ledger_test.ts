// The limiter's record of this process's own sends (src/rate_limit/send_ledger.ts):
// each counts from dispatch to answer; waits are exact once answers are known.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createSendLedger } from "../../src/rate_limit/send_ledger.ts";

test("a send in flight holds its place until its answer, then for a window", () => {
  const ledger = createSendLedger();
  const a = ledger.enter("k", 2, 1000, 0);
  const b = ledger.enter("k", 2, 1000, 0);
  assert.ok(a.admitted && b.admitted);
  // Both in flight: how long is unknown, at least a window after an answer now.
  assert.deepEqual(ledger.enter("k", 2, 1000, 5_000), {
    admitted: false,
    waitMs: 1000,
    known: false,
  });
  ledger.leave(b.ticket, 5_000);
  assert.deepEqual(ledger.enter("k", 2, 1000, 5_500), {
    admitted: false,
    waitMs: 500,
    known: true,
  });
  assert.ok(ledger.enter("k", 2, 1000, 6_000).admitted, "b's answer left the window");
  // Other keys are independent.
  assert.ok(ledger.enter("other", 1, 1000, 6_000).admitted);
});

test("changed() wakes at the key's next answer and gives its listener back on abort", async () => {
  const ledger = createSendLedger();
  const a = ledger.enter("k", 1, 1000, 0);
  assert.ok(a.admitted);
  let woke = false;
  const waiting = ledger.changed("k").then(() => (woke = true));
  const controller = new AbortController();
  const aborted = ledger.changed("k", controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  await Promise.resolve();
  assert.equal(woke, false);
  ledger.leave(a.ticket, 10);
  await waiting;
  assert.equal(woke, true);
});

test("idle keys are forgotten: memory follows the keys in use", () => {
  const ledger = createSendLedger();
  for (let i = 0; i < 10_000; i++) {
    const entry = ledger.enter(`k${i}`, 1, 1000, i * 10);
    assert.ok(entry.admitted);
    ledger.leave(entry.ticket, i * 10);
  }
  // Only keys whose answer is still within a window (1000 ms = 100 keys) must be kept.
  assert.ok(ledger.size <= 400, `${ledger.size} keys held`);
});
