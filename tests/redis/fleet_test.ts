/**
 * The acceptance test: K processes, each with its own Redis
 * connection and client, sharing one token and sandbox, make C concurrent
 * calls against a loopback gateway that allows 20 requests per 2 s window by
 * arrival. The gateway must see at most 20 in any window and answer no 429,
 * and the whole run must take at most 10 % more than the ideal
 * (⌈N / 20⌉ − 1 windows of 2 s + margin). With a 50 ms margin this passes on an
 * idle machine, but saturating both cores of a 2-core box with busy loops
 * made one arrival in 80 late enough for a 429; 100 ms held under that load.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { type RedisServer, redisSkipReason, startRedisServer } from "./helpers.ts";

const skip = redisSkipReason();

const PROCESSES = 8;
const CALLS = 10; // per process: 80 calls, 4 windows
const LIMIT = 20;
const WINDOW_MS = 2000;
const MARGIN_MS = 100; // absorbs arrival jitter on a loaded 2-core CI machine

const root = fileURLToPath(new URL("../../", import.meta.url));
const worker = fileURLToPath(new URL("./fleet_worker.ts", import.meta.url));
const deno = (process.versions as Record<string, string | undefined>).deno
  ? process.execPath
  : `${root}node_modules/.bin/deno`;

/** A gateway that enforces LIMIT per WINDOW_MS by arrival and logs arrivals. */
interface Gateway {
  url: string;
  arrivals: number[];
  tooMany: number;
  close(): Promise<void>;
}

function startGateway(): Promise<Gateway> {
  const arrivals: number[] = [];
  const accepted: number[] = [];
  const state = { tooMany: 0 };
  const server: Server = createServer((request, response) => {
    if (request.url === "/warm-up") {
      response.writeHead(204).end();
      return;
    }
    const now = performance.now();
    arrivals.push(now);
    const inWindow = accepted.filter((t) => t > now - WINDOW_MS).length;
    request.resume();
    if (inWindow >= LIMIT) {
      state.tooMany++;
      response.writeHead(429, { "content-type": "application/json", "retry-after": "2" })
        .end(JSON.stringify({ error: "rate limited" }));
      return;
    }
    accepted.push(now);
    response.writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ id: `exp-${arrivals.length}`, url: "https://example.test" }));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        arrivals,
        get tooMany() {
          return state.tooMany;
        },
        close: () => {
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

/** Most arrivals inside any half-open window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[start]! <= sorted[end]! - windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  result: Promise<{ statuses: number[] }>;
}

function spawnWorker(env: Record<string, string>): Worker {
  const child = spawn(deno, ["run", "--allow-all", "--quiet", worker], {
    cwd: root,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout! });
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const result = new Promise<{ statuses: number[] }>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line === "ready") onReady();
      else if (line.startsWith("{")) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`fleet worker exited ${code}: ${stderr}`)));
  });
  return {
    child,
    ready: Promise.race([ready, result.then(() => {})]),
    result,
  };
}

describe("fleet: 8 processes share one budget through Redis", { skip }, () => {
  let redis: RedisServer;

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const mode of ["store", "client"] as const) {
    const label = mode === "client"
      ? "createPrimeIntellectClient({ rateLimit: { store } }) in each process"
      : "store.reserve + local sleep + fetch in each process";
    test(`${label}: ≤ 20 per window at the gateway, zero 429s, near-ideal time`, async () => {
      const gateway = await startGateway();
      const workers: Worker[] = [];
      try {
        for (let i = 0; i < PROCESSES; i++) {
          workers.push(spawnWorker({
            REDIS_URL: redis.url,
            GATEWAY_URL: gateway.url,
            CALLS: String(CALLS),
            MODE: mode,
            LIMIT: String(LIMIT),
            WINDOW_MS: String(WINDOW_MS),
            MARGIN_MS: String(MARGIN_MS),
          }));
        }
        await Promise.all(workers.map((w) => w.ready));
        for (const w of workers) w.child.stdin!.write("go\n");
        const results = await Promise.all(workers.map((w) => w.result));

        const total = PROCESSES * CALLS;
        const statuses = results.flatMap((r) => r.statuses);
        assert.equal(statuses.length, total);
        assert.equal(gateway.tooMany, 0, `the gateway answered ${gateway.tooMany} × 429`);
        assert.deepEqual(statuses.filter((s) => s !== 200), []);
        assert.equal(gateway.arrivals.length, total);
        const busiest = maxInWindow(gateway.arrivals, WINDOW_MS);
        assert.ok(busiest <= LIMIT, `${busiest} arrivals in one ${WINDOW_MS} ms window`);

        const span = Math.max(...gateway.arrivals) - Math.min(...gateway.arrivals);
        const ideal = (Math.ceil(total / LIMIT) - 1) * (WINDOW_MS + MARGIN_MS);
        assert.ok(
          span <= ideal * 1.1,
          `took ${span.toFixed(0)} ms, ideal ${ideal} ms (+10 % = ${ideal * 1.1} ms)`,
        );
        console.log(`fleet (${mode}): ${total} calls in ${span.toFixed(0)} ms, ideal ${ideal} ms`);
      } finally {
        for (const w of workers) if (w.child.exitCode === null) w.child.kill();
        await gateway.close();
      }
    });
  }
});
