/**
 * The limiter's promise holds at the server, not at our dispatch: a process
 * that is busy (here: one send held between its booking and the socket, as a
 * blocked event loop or a long local queue would) must not let `limit + 1`
 * requests reach the server within one window. The server on 127.0.0.1
 * records arrival times on its own clock; the assertion is on those alone,
 * never on how fast this process is. The held send is released by events
 * (what the server has seen), not by a timer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createPrimeIntellectClient } from "../../mod.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { settleWithin } from "./hostile_server.ts";

const LIMIT = 2;
const WINDOW_MS = 250;

test("a send held between booking and the socket still never makes limit + 1 arrivals in a window at the server", async () => {
  const arrivals: number[] = [];
  let onArrival = () => {};
  const server = createServer((req, res) => {
    arrivals.push(performance.now()); // the server's own clock, at the request's arrival
    onArrival();
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ exposures: [] }));
  });
  const port = await listenOnLoopback(server);
  try {
    // The first send is held locally until the server has seen LIMIT others after it:
    // long after its slot was booked, as if the process had been busy.
    let held = true;
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    onArrival = () => {
      if (arrivals.length >= LIMIT + 1) release();
    };
    const fetch = async (request: Request) => {
      if (held) {
        held = false;
        await released;
      }
      return await globalThis.fetch(request);
    };
    const client = createPrimeIntellectClient({
      apiKey: "loaded-process",
      baseUrl: `http://127.0.0.1:${port}`,
      fetch,
      retry: false,
      timeoutMs: 30_000,
      // The margin covers the two clocks' rounding (Date.now() here, performance.now() there).
      rateLimit: { limit: LIMIT, windowMs: WINDOW_MS, marginMs: 50 },
    });
    const calls = Array.from(
      { length: 6 },
      () =>
        client.GET("/api/v1/sandbox/{sandbox_id}/expose", {
          params: { path: { sandbox_id: "sb" } },
        }),
    );
    const outcome = await settleWithin(Promise.all(calls), 20_000);
    assert.equal(outcome.hung, false, "every call ends");
    assert.ok(!outcome.hung && outcome.error === undefined, String(!outcome.hung && outcome.error));
    assert.equal(arrivals.length, 6);
    const sorted = [...arrivals].sort((a, b) => a - b);
    for (let i = 0; i + LIMIT < sorted.length; i++) {
      const span = sorted[i + LIMIT]! - sorted[i]!;
      assert.ok(
        span >= WINDOW_MS,
        `${LIMIT + 1} requests reached the server within ${span.toFixed(1)} ms ` +
          `(limit ${LIMIT} / ${WINDOW_MS} ms): ${sorted.map((t) => (t - sorted[0]!).toFixed(0))}`,
      );
    }
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
