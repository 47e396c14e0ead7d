import { test } from "node:test";
import assert from "node:assert/strict";
import { FirstUse } from "../../src/util/first_use.ts";

test("FirstUse loads nothing before its first use, then once for concurrent first calls", async () => {
  let loads = 0;
  const lazy = new FirstUse(() => Promise.resolve({ n: ++loads }));
  assert.equal(loads, 0);
  assert.equal(lazy.value, undefined);
  const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
  assert.equal(loads, 1);
  assert.equal(a, b, "both callers get the same value");
  assert.equal(lazy.value, a, "and it is there synchronously afterwards");
  assert.equal(await lazy.get(), a);
  assert.equal(loads, 1);
});

test("FirstUse: a failed load rejects its callers, is not kept, and the next call loads again", async () => {
  const outcomes = [new Error("chunk not delivered"), "loaded"];
  let loads = 0;
  const lazy = new FirstUse(() => {
    const outcome = outcomes[loads++];
    return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
  });
  const first = await Promise.allSettled([lazy.get(), lazy.get()]);
  assert.deepEqual(first.map((r) => r.status), ["rejected", "rejected"]);
  assert.equal((first[0] as PromiseRejectedResult).reason.message, "chunk not delivered");
  assert.equal(loads, 1, "the two first callers shared the failed load");
  assert.equal(lazy.value, undefined);
  assert.equal(await lazy.get(), "loaded");
  assert.equal(loads, 2);
  assert.equal(lazy.value, "loaded");
});

test("FirstUse.use: the value at once once loaded, after the load before", async () => {
  let loads = 0;
  const lazy = new FirstUse(() => Promise.resolve(++loads));
  const seen: number[] = [];
  const record = (value: number) => {
    seen.push(value);
    return Promise.resolve(value * 10);
  };
  assert.equal(await lazy.use(record), 10);
  seen.length = 0;
  const again = lazy.use(record);
  assert.deepEqual(seen, [1], "called synchronously: no promise hop once loaded");
  assert.equal(await again, 10);
  assert.equal(loads, 1);
});
