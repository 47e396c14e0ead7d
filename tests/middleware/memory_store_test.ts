import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryRateLimitStore, type Reservation } from "../../mod.ts";
import { FakeClock } from "../../src/testing/time.ts";

let ids = 0;
const id = () => `r${ids++}`;

function delay(reservation: Reservation): number {
  assert.equal(reservation.rejected, false);
  return (reservation as { delayMs: number }).delayMs;
}

test("books the earliest slot with room in its window, first come first served", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const book = () => delay(store.reserve("k", { limit: 2, windowMs: 1000, id: id() }));
  assert.deepEqual([book(), book(), book(), book(), book()], [0, 0, 1000, 1000, 2000]);
});

test("a slot leaves the window exactly windowMs after it was used", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const book = () => delay(store.reserve("k", { limit: 1, windowMs: 1000, id: id() }));
  assert.equal(book(), 0);
  clock.tick(999);
  assert.equal(book(), 1, "slot 0 is still in the window (−1, 999]; the next one is 1000");
  clock.tick(1001);
  assert.equal(book(), 0, "at 2000, slots 0 and 1000 are both at or before 2000 − 1000");
});

test("no window ever holds more than limit slots, under random traffic", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const limit = 3;
  const windowMs = 1000;
  const slots: number[] = [];
  let lastDelayEnd = 0;
  for (let i = 0; i < 2000; i++) {
    if (random() < 0.3) clock.tick(Math.floor(random() * 700));
    const wait = delay(store.reserve("k", { limit, windowMs, id: id() }));
    const at = clock.now() + wait;
    assert.ok(at >= lastDelayEnd, "FIFO: never before an earlier booking");
    lastDelayEnd = at;
    slots.push(at);
  }
  slots.sort((a, b) => a - b);
  for (let i = limit; i < slots.length; i++) {
    assert.ok(slots[i]! - slots[i - limit]! >= windowMs, `window overfull at ${slots[i]}`);
  }
});

test("maxWaitMs rejects without booking", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const request = { limit: 1, windowMs: 1000, maxWaitMs: 500 };
  assert.equal(delay(store.reserve("k", { ...request, id: id() })), 0);
  assert.deepEqual(store.reserve("k", { ...request, id: id() }), {
    rejected: true,
    retryAfterMs: 1000,
  });
  // The rejection booked nothing: a patient caller gets the very next slot.
  assert.equal(delay(store.reserve("k", { limit: 1, windowMs: 1000, id: id() })), 1000);
});

test("release gives back a future slot only", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const r = { limit: 1, windowMs: 1000 };
  store.reserve("k", { ...r, id: "a" });
  store.reserve("k", { ...r, id: "b" }); // slot 1000
  store.release("k", "b");
  assert.equal(delay(store.reserve("k", { ...r, id: "c" })), 1000, "b's slot is free again");
  store.release("k", "a"); // slot 0 has come: it may have been used, so it stays
  assert.equal(delay(store.reserve("k", { ...r, id: "d" })), 2000);
  store.release("k", "unknown");
  store.release("no-such-key", "x");
});

test("pause books nothing before it ends, and only for that key", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  store.pause("k", 7000);
  store.pause("k", 10); // a shorter pause does not shorten it
  assert.equal(delay(store.reserve("k", { limit: 20, windowMs: 60_000, id: id() })), 7000);
  assert.equal(delay(store.reserve("other", { limit: 20, windowMs: 60_000, id: id() })), 0);
});

test("idle keys are evicted lazily: 100 000 sandboxes touched once stay bounded", () => {
  const clock = new FakeClock(0);
  const store = createMemoryRateLimitStore({ clock });
  const r = { limit: 20, windowMs: 60_500 };
  // A busy key with bookings far in the future must survive every sweep.
  for (let i = 0; i < 200; i++) store.reserve("busy", { ...r, id: id() });
  for (let i = 0; i < 100_000; i++) store.reserve(`sandbox-${i}`, { ...r, id: id() });
  assert.equal(store.size, 100_001);
  clock.tick(60_500);
  let largest = 0;
  for (let i = 0; i < 100_000; i++) {
    store.reserve(`later-${i}`, { ...r, id: id() });
    largest = Math.max(largest, store.size);
  }
  assert.ok(largest <= 100_002, `size peaked at ${largest}`);
  assert.ok(store.size <= 100_002, `size is ${store.size}`);
  // The busy key kept its bookings: 200 slots at 20 per window reach 9 windows ahead.
  const wait = delay(store.reserve("busy", { ...r, id: id() }));
  assert.equal(wait, 10 * 60_500 - 60_500);
  // After everything has gone idle, using one key a while clears the rest.
  clock.tick(20 * 60_500);
  for (let i = 0; i < 60_000; i++) store.reserve("one", { limit: 1e9, windowMs: 1, id: id() });
  assert.ok(store.size <= 2, `size is ${store.size}`);
});
