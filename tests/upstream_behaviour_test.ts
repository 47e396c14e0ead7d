// Regression tests for the breaks found by trying sandgate against the providers' documented
// behaviour (issue 13), and for the provider behaviour taken from their docs and SDKs.
// Sources: docs.tensorlake.ai/api-reference/v2/pty/{get,list,create};
// docs.primeintellect.ai/api-reference/sandbox/* ("Rate Limit");
// PrimeIntellect-ai/prime packages/prime-sandboxes/src/prime_sandboxes/{models.py,core/config.py}@66fb4b7;
// tensorlakeai/tensorlake typescript/src/url.ts@cab3838.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createPrimeIntellectClient,
  PrimeIntellect,
  RateLimitedError,
  Tensorlake,
} from "../mod.ts";

import { recordingFetch } from "./helpers/fake_fetch.ts";
import { PRIME_ENV, withEnv } from "./helpers/env.ts";

const exposeAnswer = {
  exposure_id: "e-1",
  sandbox_id: "sb-1",
  port: 8000,
  url: "https://8000-sb-1.example.invalid",
  tls_socket: "8000-sb-1.example.invalid:443",
};

test("regression: getPty and listPtys accept the documented body (numeric created_at)", async () => {
  const session = {
    session_id: "LYtJOrxE9Kz3bphPUDzuX",
    pid: 42,
    command: "/bin/bash",
    args: ["-l"],
    rows: 24,
    cols: 80,
    created_at: 1710000000000,
    ended_at: null,
    exit_code: null,
    is_alive: true,
  };
  const { fetch } = recordingFetch((r) =>
    Response.json(r.url.endsWith("/pty") ? { sessions: [session] } : session)
  );
  const sandbox = new Tensorlake({ apiKey: "k", fetch }).sandbox("my-sb");
  const one = await sandbox.getPty(session.session_id);
  const [listed] = await sandbox.listPtys();
  for (const info of [one, listed!]) {
    assert.ok(info.createdAt instanceof Date);
    assert.equal(info.createdAt.getTime(), 1710000000000);
    assert.equal(info.endedAt, null);
  }
});

test("regression: an exposePort answer without protocol does not throw", async () => {
  const { fetch } = recordingFetch(() => Response.json(exposeAnswer));
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch }).sandbox("sb-1");
  const http = await sandbox.exposePort({ port: 8000 });
  assert.equal(http.protocol, "HTTP"); // the API's documented default, which was asked for
  const tcp = await sandbox.exposePort({ port: 5432, protocol: "tcp" });
  assert.equal(tcp.protocol, "TCP");
});

test("regression: PRIME_API_BASE_URL ending in /api/v1 does not double the prefix", async () => {
  for (
    const base of [
      "https://api.primeintellect.ai/api/v1",
      "https://api.primeintellect.ai/api/v1/",
      "https://api.primeintellect.ai/",
    ]
  ) {
    const { requests, fetch } = recordingFetch(() => Response.json({ exposures: [] }));
    await withEnv({ ...PRIME_ENV, PRIME_API_BASE_URL: base }, async () => {
      await new PrimeIntellect({ apiKey: "k", fetch }).sandbox("sb-1").listExposures();
      await createPrimeIntellectClient({ apiKey: "k", fetch, baseUrl: base }).GET(
        "/api/v1/sandbox/expose/all",
      );
    });
    assert.deepEqual(
      requests.map((r) => r.url),
      [
        // The sandbox lookup sent once before the first listing (the VM check).
        "https://api.primeintellect.ai/api/v1/sandbox/sb-1",
        "https://api.primeintellect.ai/api/v1/sandbox/sb-1/expose",
        "https://api.primeintellect.ai/api/v1/sandbox/expose/all",
      ],
      base,
    );
  }
});

test("regression: 429 TOO_MANY_SESSIONS from createPty is sent once, never retried", async () => {
  const { requests, fetch } = recordingFetch(() =>
    Response.json({ error: "too many PTY sessions", code: "TOO_MANY_SESSIONS" }, {
      status: 429,
      headers: { "retry-after": "1" },
    })
  );
  const sandbox = new Tensorlake({ apiKey: "k", fetch }).sandbox("my-sb"); // default retries
  await assert.rejects(
    sandbox.createPty({ command: "bash" }),
    (e: unknown) => e instanceof RateLimitedError && e.code === "TOO_MANY_SESSIONS",
  );
  assert.equal(requests.length, 1);
  // Nor on an idempotent call: Tensorlake documents no rate limit, only this capacity answer.
  await assert.rejects(sandbox.listPtys(), RateLimitedError);
  assert.equal(requests.length, 2);
});

test("Tensorlake has no client-side limit; Prime's documented per-endpoint budgets apply", async () => {
  const { requests, fetch } = recordingFetch((r) =>
    r.url.includes("/pty") ? Response.json({ sessions: [] }) : Response.json({ exposures: [] })
  );
  const waits: string[] = [];
  const onRateLimit = (info: { operation: string }) => waits.push(info.operation);
  const tl = new Tensorlake({ apiKey: "k", fetch, onRateLimit }).sandbox("my-sb");
  for (let i = 0; i < 100; i++) await tl.listPtys();
  assert.deepEqual(waits, []);

  // maxWaitMs 0: a call that would have to wait fails at once and sends nothing.
  // A key of its own: budgets live in a store shared by every client on the same clock.
  const prime = new PrimeIntellect({
    apiKey: "k-budgets",
    fetch,
    onRateLimit,
    rateLimit: { maxWaitMs: 0 },
  });
  for (let i = 0; i < 60; i++) await prime.sandbox("a").listExposures(); // 60 / 60 s
  await assert.rejects(prime.sandbox("a").listExposures(), RateLimitedError);
  await prime.sandbox("b").listExposures(); // per sandbox
  for (let i = 0; i < 60; i++) await prime.listAllExposures(); // its own budget, per token
  await assert.rejects(prime.listAllExposures(), RateLimitedError);
  // expose, unexpose and SSH create/close share 20 / 60 s per sandbox (assumed shared).
  const writes = recordingFetch(() => Response.json(exposeAnswer));
  const p2 = new PrimeIntellect({
    apiKey: "k-writes",
    fetch: writes.fetch,
    rateLimit: { maxWaitMs: 0 },
  });
  for (let i = 0; i < 20; i++) await p2.sandbox("a").exposePort({ port: 3000 + i });
  await assert.rejects(p2.sandbox("a").exposePort({ port: 4000 }), RateLimitedError);
  // + the lookup of sandbox "a", which has a budget of its own (300 / 60 s).
  assert.equal(writes.requests.length, 1 + 20);
  // + the lookups of "a" and "b" before their first listing.
  assert.equal(requests.length, 100 + 2 + 60 + 1 + 60);
});

test("Prime: protocol is HTTP or TCP only (no UDP), before any request", async () => {
  const { requests, fetch } = recordingFetch(() => Response.json(exposeAnswer));
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch }).sandbox("sb-1");
  await assert.rejects(sandbox.exposePort({ port: 8000, protocol: "UDP" }), /protocol/);
  assert.equal(requests.length, 0);
});
