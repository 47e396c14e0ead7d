/**
 * The 60 s figure of BENCHMARKS.md comes from a simulation on a virtual
 * clock running the store's booking rule; these checks keep it honest.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { simulateFleet } from "../../../scripts/fleet_sim.ts";

test("fleet simulation, 60 s window: ≤ 20 per window, no 429, within 1 % of ideal", () => {
  for (const seed of [1, 2, 3]) {
    const result = simulateFleet({ processes: 8, callsPerProcess: 25, seed });
    assert.equal(result.calls, 200);
    assert.equal(result.tooMany, 0);
    assert.equal(result.maxInWindow, 20);
    assert.equal(result.idealMs, 9 * 60_500);
    assert.ok(result.spanMs >= result.gatewayBoundMs, `${result.spanMs}`);
    assert.ok(result.spanMs <= result.idealMs * 1.01, `${result.spanMs}`);
  }
});

test("fleet simulation: without the margin, network jitter makes the gateway answer 429", () => {
  const result = simulateFleet({ marginMs: 0, networkMs: [5, 80] });
  assert.ok(result.tooMany > 0);
  assert.ok(result.maxInWindow > 20);
});
