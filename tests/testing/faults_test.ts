// The emulator's seeded faults (src/testing/faults.ts): deterministic by seed, each kind as
// documented, abortable, and never on the SSH gateway by the random rate.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createEmulator, type FaultKind } from "../../src/testing/mod.ts";
import { KEY, PRIME, req, TL } from "./_emulator.ts";

async function faultSequence(seed: number, n: number): Promise<string[]> {
  const emulator = createEmulator({
    seed,
    rateLimit: false,
    faults: { rate: 0.5, slowMs: 1 },
  });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const res = await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`));
      out.push(`${res.status}:${(await res.text()).slice(0, 12)}`);
    } catch (error) {
      assert.ok(error instanceof TypeError);
      out.push("reset");
    }
  }
  return out;
}

test("faults are deterministic by seed", async () => {
  const a = await faultSequence(7, 60);
  const b = await faultSequence(7, 60);
  const c = await faultSequence(8, 60);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const faulted = a.filter((x) => x !== '200:{"exposures"').length;
  assert.ok(faulted > 10 && faulted < 50, `about half faulted, got ${faulted}`);
  assert.ok(a.includes("reset"));
});

test("reset() replays the same faults and forgets state and stats", async () => {
  const emulator = createEmulator({
    seed: 3,
    rateLimit: false,
    faults: { rate: 0.5, kinds: ["503"] },
  });
  const run = async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push(
        (await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/s/expose`, { port: 80 })))
          .status,
      );
    }
    return statuses;
  };
  const first = await run();
  const served = first.filter((s) => s === 200).length;
  assert.equal(emulator.live().exposures, served, "faulted requests had no effect");
  assert.equal(emulator.stats.faults, 20 - served);
  assert.equal(emulator.stats.faultsByKind["503"], 20 - served);
  assert.equal(emulator.stats.byStatus["503"], 20 - served);
  emulator.reset();
  assert.equal(emulator.stats.requests, 0);
  assert.equal(emulator.live().exposures, 0);
  assert.deepEqual(await run(), first);
});

test("each fault kind looks as documented", async () => {
  const expectations: Record<
    FaultKind,
    (r: Response | Error, effect: boolean) => Promise<void> | void
  > = {
    "429": (r, effect) => {
      assert.ok(r instanceof Response && r.status === 429);
      assert.equal(r.headers.get("retry-after"), "2");
      assert.equal(effect, false);
    },
    "429-no-retry-after": (r, effect) => {
      assert.ok(r instanceof Response && r.status === 429);
      assert.equal(r.headers.get("retry-after"), null);
      assert.equal(effect, false);
    },
    "500": async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 500);
      assert.deepEqual(await r.json(), { detail: "Internal Server Error" });
      assert.equal(effect, false);
    },
    "502": async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 502);
      assert.match(await r.text(), /<html>/);
      assert.equal(effect, false);
    },
    "503": (r, effect) => {
      assert.ok(r instanceof Response && r.status === 503);
      assert.equal(effect, false);
    },
    reset: (r, effect) => {
      assert.ok(r instanceof TypeError);
      assert.equal(effect, false);
    },
    slow: async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      assert.equal((await r.json()).port, 80);
      assert.equal(effect, true);
    },
    "non-json": async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      assert.equal(r.headers.get("content-type"), "text/html");
      await assert.rejects(r.json());
      assert.equal(effect, true);
    },
    empty: async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      assert.equal(await r.text(), "");
      assert.equal(effect, true);
    },
    "truncated-json": async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      const text = await r.text();
      assert.ok(text.startsWith('{"exposure_id"'));
      assert.throws(() => JSON.parse(text), SyntaxError);
      assert.equal(effect, true);
    },
    "lost-response": (r, effect) => {
      assert.ok(r instanceof TypeError);
      assert.equal(effect, true);
    },
    trickle: async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      assert.equal((await r.json()).port, 80);
      assert.equal(effect, true);
    },
    endless: async (r, effect) => {
      assert.ok(r instanceof Response && r.status === 200);
      const reader = r.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      for (let i = 0; i < 5; i++) text += decoder.decode((await reader.read()).value);
      // Half of the real body, then a space per interval, never the end.
      assert.match(text, /^\{"exposure_id".* {4}$/);
      await reader.cancel();
      assert.equal(effect, true);
    },
  };
  for (
    const [kind, check] of Object.entries(expectations) as [
      FaultKind,
      typeof expectations[FaultKind],
    ][]
  ) {
    let slept = 0;
    const emulator = createEmulator({
      clock: {
        now: () => 0,
        sleep: (ms) => {
          slept += ms;
          return Promise.resolve();
        },
      },
      faults: { decide: () => kind, slowMs: 5000, retryAfterSeconds: 2 },
    });
    let result: Response | Error;
    try {
      result = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/s/expose`, { port: 80 }));
    } catch (error) {
      result = error as Error;
    }
    await check(result, emulator.live().exposures === 1);
    if (kind === "trickle") assert.ok(slept > 0 && slept <= 5000, `${kind}: ${slept}`);
    else if (kind === "endless") assert.equal(slept, 4 * 10_000, kind);
    else assert.equal(slept, kind === "slow" ? 5000 : 0, kind);
    assert.equal(emulator.stats.faultsByKind[kind], 1, kind);
  }
});

test("a slow fault honours the request's abort signal", async () => {
  const emulator = createEmulator({ faults: { decide: () => "slow", slowMs: 60_000 } });
  const controller = new AbortController();
  const pending = emulator.fetch(
    new Request(`${PRIME}/api/v1/sandbox/s/expose`, {
      headers: { authorization: `Bearer ${KEY}` },
      signal: controller.signal,
    }),
  );
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  assert.equal(emulator.stats.served, 0);
});

test("gateway requests are not faulted by the random rate; the hook sees every request", async () => {
  const seen: string[] = [];
  const emulator = createEmulator({
    faults: {
      rate: 1,
      kinds: ["500"],
      decide: ({ api, index }) => {
        seen.push(`${index}:${api}`);
        return undefined;
      },
    },
  });
  assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`))).status, 500);
  assert.equal((await emulator.fetch(req("GET", `${TL}/api/v1/pty`))).status, 500);
  const gateway = await emulator.fetch(req("POST", `${PRIME}/gateway/u/j/authorize`, {}, "t"));
  assert.equal(gateway.status, 422);
  assert.deepEqual(seen, ["0:primeintellect", "1:tensorlake", "2:gateway"]);
});
