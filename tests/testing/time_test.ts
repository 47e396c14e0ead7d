import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient } from "../../mod.ts";
import { createEmulator, FakeClock } from "../../src/testing/mod.ts";

test("FakeClock: tick wakes due sleeps in time order (ties in start order), not later ones", async () => {
  const clock = new FakeClock(1_000);
  assert.equal(clock.now(), 1_000);
  assert.equal(new FakeClock(new Date(5)).now(), 5);
  const woke: string[] = [];
  void clock.sleep(30).then(() => woke.push("30"));
  void clock.sleep(10).then(() => woke.push("10a"));
  void clock.sleep(10).then(() => woke.push("10b"));
  void clock.sleep(31).then(() => woke.push("31"));
  assert.equal(clock.pending, 4);
  assert.equal(clock.nextAt(), 1_010);
  clock.tick(30);
  assert.equal(clock.now(), 1_030);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(woke, ["10a", "10b", "30"]);
  assert.equal(clock.pending, 1);
  clock.tick(1);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(woke, ["10a", "10b", "30", "31"]);
});

test("FakeClock: a sleep rejects with its signal's reason and leaves nothing pending", async () => {
  const clock = new FakeClock(0);
  const controller = new AbortController();
  const sleeping = clock.sleep(1_000, controller.signal);
  controller.abort("stop");
  await assert.rejects(sleeping, (reason) => reason === "stop");
  assert.equal(clock.pending, 0);
  await assert.rejects(clock.sleep(1, AbortSignal.abort("early")), (r) => r === "early");
  await clock.sleep(0); // no wait in manual mode
  await clock.sleep(-5);
  const forever = clock.sleep(Infinity, controller.signal).catch((r) => r);
  assert.equal(await forever, "stop");
});

test("FakeClock: tickAsync lets woken code start its next sleep within the same advance", async () => {
  const clock = new FakeClock(0);
  const seen: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(100);
      seen.push(clock.now());
    }
  })();
  await clock.tickAsync(250);
  assert.deepEqual(seen, [100, 200]);
  assert.equal(clock.now(), 250);
  await clock.runAllAsync();
  await loop;
  assert.deepEqual(seen, [100, 200, 300]);
  const endless = new FakeClock(0);
  const spin = (async () => {
    for (;;) await endless.sleep(1);
  })();
  await assert.rejects(endless.runAllAsync(5), /more than 5 timers/);
  void spin;
});

test("FakeClock autoAdvance: time jumps to the next sleep once everything waits on it", async () => {
  const clock = new FakeClock(0, { autoAdvance: true });
  const started = performance.now();
  const order: string[] = [];
  await Promise.all([
    clock.sleep(3_600_000).then(() => order.push("hour")),
    clock.sleep(60_000).then(() => order.push("minute")),
  ]);
  assert.deepEqual(order, ["minute", "hour"]);
  assert.equal(clock.now(), 3_600_000);
  assert.ok(performance.now() - started < 5_000);
  assert.equal(clock.pending, 0);
  clock.close();
});

test("FakeClock drives the SDK and the emulator together: a rate-limit wait costs no real time", async () => {
  const clock = new FakeClock();
  const emulator = createEmulator({ clock });
  const client = createPrimeIntellectClient({ apiKey: "test", fetch: emulator.fetch, clock });
  let exposed = 0;
  const expose = () =>
    client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      params: { path: { sandbox_id: "sb-1" } },
      body: { port: 8000 + exposed++ },
    });
  let settled = 0;
  const calls = Array.from({ length: 21 }, () => expose().finally(() => settled++));
  await clock.tickAsync(60_000);
  assert.equal(settled, 20, "the 21st call waits for the window (60 s + 0.5 s margin)");
  await clock.tickAsync(1_000);
  assert.ok((await Promise.all(calls)).every((r) => r.response.ok));
  assert.equal(emulator.stats.rateLimited ?? 0, 0);
});

/** Work that settles after `count` real macrotask turns, unseen by any clock (as Web Crypto is). */
function offThread(count: number): Promise<string> {
  let chain = Promise.resolve();
  for (let i = 0; i < count; i++) {
    chain = chain.then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  }
  return chain.then(() => "done");
}

test("FakeClock.track: tracked work holds auto-advance and tickAsync until it settles", async () => {
  const order: string[] = [];
  {
    using clock = new FakeClock(0, { autoAdvance: true });
    const racing = clock.sleep(1_000).then(() => order.push("timer"));
    await clock.track(offThread(20)).then(() => order.push("work"));
    await racing;
  }
  assert.deepEqual(order, ["work", "timer"]);

  const manual = new FakeClock(0);
  let settled = false;
  void manual.track(offThread(20)).then(() => (settled = true));
  await manual.tickAsync(0);
  assert.equal(settled, true);
});

test("FakeClock.track: the SDK hands it the hashing of a new key, once per key", async () => {
  const tracked: Promise<unknown>[] = [];
  class Recording extends FakeClock {
    override track<T>(work: Promise<T>): Promise<T> {
      tracked.push(work);
      return super.track(work);
    }
  }
  using clock = new Recording(0, { autoAdvance: true });
  const emulator = createEmulator({ clock });
  const client = createPrimeIntellectClient({ apiKey: "k-1", fetch: emulator.fetch, clock });
  const list = () =>
    client.GET("/api/v1/sandbox/{sandbox_id}/expose", {
      params: { path: { sandbox_id: "sb-1" } },
    });
  assert.equal((await list()).response.status, 200);
  const afterFirst = tracked.length;
  assert.equal((await list()).response.status, 200);
  assert.equal(
    tracked.length,
    afterFirst,
    "a known key and a built stack: nothing more to wait for",
  );
  // The first call also hands it the loading of the client's middleware stack (an object).
  const hashes = (await Promise.all(tracked)).filter((value) => typeof value === "string");
  assert.equal(hashes.length, 1, "the key was hashed once");
});

test("advance moves time without waking a due sleep; the next tick wakes it late", async () => {
  const clock = new FakeClock(0);
  let wokeAt: number | undefined;
  const slept = clock.sleep(10).then(() => (wokeAt = clock.now()));
  clock.advance(50);
  await Promise.resolve();
  assert.equal(clock.now(), 50);
  assert.equal(wokeAt, undefined);
  clock.tick(0);
  await slept;
  assert.equal(wokeAt, 50);
});

test("tickAsync never moves time back past an advance made by woken code", async () => {
  const clock = new FakeClock(0);
  // The woken code is busy for 100 ms (an event-loop stall inside the tick).
  void clock.sleep(10).then(() => clock.advance(100));
  await clock.tickAsync(20);
  // Was: 20, time went back to the tick's target.
  assert.equal(clock.now(), 110);
});
