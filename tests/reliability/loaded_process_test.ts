/**
 * The limiter's promise holds at the server, not at our dispatch: a process
 * that is busy (its event loop blocked between booking and sending, or one
 * send held back by a long local queue) must not let `limit + 1` requests
 * reach the server within one window. The servers on 127.0.0.1 record
 * arrival times on their own clock; the assertions are on those alone, never
 * on how fast this process is.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createPrimeIntellectClient } from "../../mod.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { settleWithin } from "./_hostile_server.ts";

const LIMIT = 2;
const WINDOW_MS = 250;

/** Sorted arrivals hold at most LIMIT in any WINDOW_MS (the server's own window, no margin). */
function assertWithinLimit(arrivals: number[]): void {
  const sorted = [...arrivals].sort((a, b) => a - b);
  for (let i = 0; i + LIMIT < sorted.length; i++) {
    const span = sorted[i + LIMIT]! - sorted[i]!;
    assert.ok(
      span >= WINDOW_MS,
      `${LIMIT + 1} requests reached the server within ${span.toFixed(1)} ms ` +
        `(limit ${LIMIT} / ${WINDOW_MS} ms): ${sorted.map((t) => (t - sorted[0]!).toFixed(0))}`,
    );
  }
}

/**
 * A gateway in a process of its own (the current runtime's binary): its clock
 * runs on while this process's event loop is blocked. Prints its port, then a
 * line per arrival; exits when its stdin closes.
 */
const GATEWAY = `import("node:http").then(({ createServer }) => {
  const server = createServer((req, res) => {
    process.stdout.write("arrival " + performance.now() + "\\n");
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"exposures":[]}');
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write("port " + server.address().port + "\\n"));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
});`;

function startGateway() {
  const g = globalThis as { Deno?: { execPath(): string } };
  const argv = g.Deno ? [g.Deno.execPath(), "eval", GATEWAY] : [process.execPath, "-e", GATEWAY];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "inherit"] });
  const arrivals: number[] = [];
  let onLine = () => {};
  let port: number | undefined;
  let buffer = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (text: string) => {
    buffer += text;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const [kind, value] = buffer.slice(0, newline).split(" ");
      buffer = buffer.slice(newline + 1);
      if (kind === "port") port = Number(value);
      if (kind === "arrival") arrivals.push(Number(value));
      onLine();
    }
  });
  /** Resolves once `test()` holds, re-checked at every line the gateway prints. */
  const until = (check: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error("the gateway process exited")));
      const poll = () => {
        if (check()) resolve();
      };
      onLine = poll;
      poll();
    });
  return {
    arrivals,
    async port() {
      await until(() => port !== undefined);
      return port!;
    },
    until,
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin!.end();
      if ((await settleWithin(exited, 5_000)).hung) child.kill();
    },
  };
}

test("an event loop blocked between booking and sending never makes limit + 1 arrivals in a window at the server", async () => {
  const gateway = startGateway();
  try {
    const port = await gateway.port();
    // The first send blocks the whole process (Atomics.wait) for longer than a window:
    // every slot booked meanwhile comes due at once when it wakes.
    let first = true;
    const fetch = (request: Request) => {
      if (first) {
        first = false;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2 * WINDOW_MS);
      }
      return globalThis.fetch(request);
    };
    const client = createPrimeIntellectClient({
      apiKey: "blocked-loop",
      baseUrl: `http://127.0.0.1:${port}`,
      fetch,
      retry: false,
      timeoutMs: 30_000,
      // The margin covers the two processes' clock readings (Date.now() here, performance.now() there).
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
    assert.equal(
      (await settleWithin(gateway.until(() => gateway.arrivals.length >= 6), 10_000)).hung,
      false,
    );
    assert.equal(gateway.arrivals.length, 6);
    assertWithinLimit(gateway.arrivals);
  } finally {
    await gateway.stop();
  }
});

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
    assertWithinLimit(arrivals);
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
