// Regression tests for the breaks found by trying sandgate against the providers' documented
// behaviour (issue 13), and for the provider behaviour taken from their docs and SDKs.
// Sources: docs.tensorlake.ai/api-reference/v2/pty/{get,list,create};
// docs.primeintellect.ai/api-reference/sandbox/* ("Rate Limit");
// PrimeIntellect-ai/prime packages/prime-sandboxes/src/prime_sandboxes/{models.py,core/config.py}@66fb4b7;
// tensorlakeai/tensorlake typescript/src/url.ts@cab3838.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPrimeIntellectClient,
  InvalidArgumentError,
  PrimeIntellect,
  RateLimitedError,
  Tensorlake,
} from "../mod.ts";
import { createEmulator, serve } from "../src/testing/mod.ts";
import { tensorlakeRoute } from "../src/tensorlake/client.ts";

const exposeAnswer = {
  exposure_id: "e-1",
  sandbox_id: "sb-1",
  port: 8000,
  url: "https://8000-sb-1.example.invalid",
  tls_socket: "8000-sb-1.example.invalid:443",
};

function recording(answer: (request: Request) => Response) {
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    requests.push(request);
    return Promise.resolve(answer(request));
  };
  return { requests, fetch };
}

async function withEnv<T>(
  vars: Record<string, string | undefined>,
  body: () => Promise<T> | T,
): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await body();
  } finally {
    set(saved);
  }
}

const PRIME_ENV = {
  PRIME_API_KEY: undefined,
  PRIME_API_BASE_URL: undefined,
  PRIME_BASE_URL: undefined,
  PRIME_TEAM_ID: undefined,
  PRIME_CONTEXT: undefined,
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
  const { fetch } = recording((r) =>
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
  const { fetch } = recording(() => Response.json(exposeAnswer));
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
    const { requests, fetch } = recording(() => Response.json({ exposures: [] }));
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
  const { requests, fetch } = recording(() =>
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
  const { requests, fetch } = recording((r) =>
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
  const writes = recording(() => Response.json(exposeAnswer));
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

test("a Tensorlake client pointed at a local emulator: proxyUrl as given, sandbox by Host and header", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const tensorlake = new Tensorlake({ apiKey: "k", proxyUrl: server.url });
  const pty = await tensorlake.sandbox("box-1").createPty({ command: "bash" });
  await tensorlake.sandbox("box-2").createPty({ command: "sh" }).then((p) => p.kill());
  assert.equal(emulator.live().sandboxes["box-1"]?.ptys, 1);
  assert.equal((await tensorlake.sandbox("box-2").listPtys()).length, 0);
  await pty.kill();
  // The same through the environment.
  await withEnv(
    { TENSORLAKE_SANDBOX_PROXY_URL: server.url, TENSORLAKE_API_URL: undefined },
    async () => {
      const viaEnv = await new Tensorlake({ apiKey: "k" }).sandbox("box-3").createPty({
        command: "sh",
      });
      assert.equal(emulator.live().sandboxes["box-3"]?.ptys, 1);
      await viaEnv.kill();
    },
  );
});

test("TENSORLAKE_API_URL derives the proxy as upstream does (api.X → sandbox.X, localhost → :9443)", async () => {
  const cases: [string, string][] = [
    ["https://api.tensorlake.dev", "https://sandbox.tensorlake.dev/api/v1/pty"],
    // The port is dropped (typescript/src/url.ts resolveProxyUrl@cab3838: protocol + host only).
    ["https://api.tensorlake.dev:8443", "https://sandbox.tensorlake.dev/api/v1/pty"],
    ["http://localhost:8900", "http://localhost:9443/api/v1/pty"],
    ["https://tensorlake.internal.example", "https://my-sb.sandbox.tensorlake.ai/api/v1/pty"],
  ];
  for (const [api, expected] of cases) {
    const { requests, fetch } = recording(() => Response.json({ sessions: [] }));
    await withEnv(
      { TENSORLAKE_API_URL: api, TENSORLAKE_SANDBOX_PROXY_URL: undefined },
      () => new Tensorlake({ apiKey: "k", fetch }).sandbox("my-sb").listPtys(),
    );
    assert.equal(requests[0]!.url, expected, api);
    assert.equal(requests[0]!.headers.get("x-tensorlake-sandbox-id"), "my-sb");
  }
});

// Tensorlake routing as their SDKs do it (tensorlakeai/tensorlake@cab3838
// crates/cloud-sdk/src/sandboxes/mod.rs select_sandbox_proxy_url, resolve_sandbox_proxy_target
// and its tests select_proxy_url_prefers_server_sandbox_url,
// proxy_target_preserves_server_sandbox_host; typescript/src/url.ts resolveProxyTarget).
test("Tensorlake routing: the lifecycle API's sandbox_url first, then the proxy; Host {id}.local only on localhost / 127.0.0.1", () => {
  const regional = "https://sbx-1.sandbox.gcp-use4.tensorlake.ai";
  assert.deepEqual(
    tensorlakeRoute("sbx-1", { sandboxUrl: regional, proxyUrl: "https://override.example.com" }),
    { baseUrl: regional, headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" }, sandboxId: "sbx-1" },
  );
  // A proxy other than a local one keeps only its origin and names the sandbox by header.
  assert.deepEqual(tensorlakeRoute("sbx-1", { proxyUrl: "https://proxy.example.com:9443/x/" }), {
    baseUrl: "https://proxy.example.com:9443",
    headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" },
    sandboxId: "sbx-1",
  });
  // A local proxy is used as given, addressed with Host: {id}.local (sandgate adds the header
  // too: Node's and Deno's fetch and WebSocket drop a Host header).
  for (
    const [proxy, base] of [
      ["http://127.0.0.1:9443/", "http://127.0.0.1:9443"],
      ["http://localhost:9443/prefix/", "http://localhost:9443/prefix"],
    ]
  ) {
    assert.deepEqual(tensorlakeRoute("SBX-1", { proxyUrl: proxy }), {
      baseUrl: base,
      headers: { Host: "sbx-1.local", "X-Tensorlake-Sandbox-Id": "sbx-1" },
      sandboxId: "sbx-1",
    }, proxy);
  }
  // Only those two names count as local (url.ts isLocalhost): [::1] and 127.0.0.2 do not.
  for (const proxy of ["http://[::1]:9443", "http://127.0.0.2:9443"]) {
    const route = tensorlakeRoute("sbx-1", { proxyUrl: proxy });
    assert.deepEqual(route.headers, { "X-Tensorlake-Sandbox-Id": "sbx-1" }, proxy);
  }
  // Nothing given: the docs' per-sandbox host, the id in the header as upstream sends it.
  assert.deepEqual(tensorlakeRoute("sbx-1"), {
    baseUrl: "https://sbx-1.sandbox.tensorlake.ai",
    headers: { "X-Tensorlake-Sandbox-Id": "sbx-1" },
    sandboxId: "sbx-1",
  });
  // A URL as the sandbox is used as given, naming none.
  assert.deepEqual(tensorlakeRoute("http://127.0.0.1:8788"), {
    baseUrl: "http://127.0.0.1:8788",
    headers: {},
    sandboxId: undefined,
  });
});

test("Tensorlake: sandbox(id, { sandboxUrl }) sends REST and the PTY WebSocket to the sandbox_url, named by id", async () => {
  const { requests, fetch } = recording(() =>
    Response.json({ session_id: "pty-1", token: "tok-1" }, { status: 201 })
  );
  const sockets: { url: string; headers: Record<string, string> }[] = [];
  const tensorlake = new Tensorlake({
    apiKey: "k",
    proxyUrl: "https://sandbox.tensorlake.ai",
    fetch,
    webSocket: (url, init) => {
      sockets.push({ url, headers: init.headers });
      throw new Error("no socket here");
    },
  });
  const sandboxUrl = "https://sbx-1.sandbox.gcp-use4.tensorlake.ai";
  const sandbox = tensorlake.sandbox("sbx-1", { sandboxUrl });
  assert.equal(tensorlake.sandbox("sbx-1", { sandboxUrl }), sandbox, "one handle per (id, url)");
  assert.notEqual(tensorlake.sandbox("sbx-1"), sandbox);
  const pty = await sandbox.createPty({ command: "bash" });
  assert.equal(requests[0]!.url, `${sandboxUrl}/api/v1/pty`);
  assert.equal(requests[0]!.headers.get("x-tensorlake-sandbox-id"), "sbx-1");
  assert.equal(requests[0]!.headers.get("host"), null);
  await assert.rejects(pty.attach());
  assert.equal(
    sockets[0]!.url,
    `wss://sbx-1.sandbox.gcp-use4.tensorlake.ai/api/v1/pty/pty-1/ws?token=tok-1`,
  );
  assert.equal(sockets[0]!.headers["X-Tensorlake-Sandbox-Id"], "sbx-1");

  // Checked before anything is sent.
  for (const bad of ["http://sbx-1.sandbox.example.com", "not a url", 42]) {
    assert.throws(
      () => tensorlake.sandbox("sbx-2", { sandboxUrl: bad as string }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === "sandboxUrl",
    );
  }
  assert.throws(
    () => tensorlake.sandbox("https://x.example.com", { sandboxUrl }),
    InvalidArgumentError,
  );
  assert.throws(() => tensorlake.sandbox("sbx-1", { sandboxURL: sandboxUrl } as never));
  assert.throws(() => new Tensorlake({ sandboxUrl } as never), InvalidArgumentError);
  assert.equal(requests.length, 1);
});

test("Tensorlake routing for real: the served emulator's lifecycle lookup, its sandbox_url, Host {id}.local", async () => {
  const emulator = createEmulator({ sandboxes: ["sb-r", "sb-h"] });
  await using server = await serve(emulator);
  // What Tensorlake's SDK asks on a localhost API URL, then hands over as sandbox_url.
  const lookup = await fetch(`${server.url}/v1/namespaces/default/sandboxes/sb-r`, {
    headers: { authorization: "Bearer k" },
  });
  const { sandbox_url: sandboxUrl } = await lookup.json();
  assert.equal(sandboxUrl, server.url);
  const sandbox = new Tensorlake({ apiKey: "k" }).sandbox("sb-r", { sandboxUrl });
  const pty = await sandbox.createPty({ command: "bash" });
  assert.equal(emulator.live().sandboxes["sb-r"]?.ptys, 1);
  await pty.kill();
  // What a client that can send Host (Bun, curl, their Rust client) sends: Host alone routes.
  const { request } = await import("node:http");
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port: server.port,
      method: "POST",
      path: "/api/v1/pty",
      headers: {
        host: "sb-h.local",
        authorization: "Bearer k",
        "content-type": "application/json",
      },
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify({ command: "sh" }));
  });
  assert.equal(status, 201);
  assert.equal(emulator.live().sandboxes["sb-h"]?.ptys, 1);
});

test("Prime: key and base URL from ~/.prime/config.json after the environment", async () => {
  const home = await mkdtemp(join(tmpdir(), "sandgate-home-"));
  try {
    await mkdir(join(home, ".prime"));
    await writeFile(
      join(home, ".prime", "config.json"),
      JSON.stringify({
        api_key: "file-key",
        team_id: "team-1",
        base_url: "https://prime.example.com/api/v1",
      }),
    );
    const { requests, fetch } = recording(() => Response.json({ exposures: [] }));
    await withEnv({ ...PRIME_ENV, HOME: home, USERPROFILE: undefined }, async () => {
      await new PrimeIntellect({ fetch }).sandbox("sb").listExposures();
      await withEnv(
        { PRIME_API_KEY: "env-key", PRIME_API_BASE_URL: "https://env.example.com" },
        () => new PrimeIntellect({ fetch }).sandbox("sb").listExposures(),
      );
    });
    assert.deepEqual(requests.map((r) => [r.url, r.headers.get("authorization")]), [
      // Each client looks the sandbox up once first (the VM check), with the same settings.
      ["https://prime.example.com/api/v1/sandbox/sb", "Bearer file-key"],
      ["https://prime.example.com/api/v1/sandbox/sb/expose", "Bearer file-key"],
      ["https://env.example.com/api/v1/sandbox/sb", "Bearer env-key"],
      ["https://env.example.com/api/v1/sandbox/sb/expose", "Bearer env-key"],
    ]);
    // No file, no key: the usual missing-key error, nothing sent.
    await writeFile(join(home, ".prime", "config.json"), "not json");
    await withEnv(
      { ...PRIME_ENV, HOME: home },
      () =>
        assert.rejects(
          new PrimeIntellect({ fetch }).sandbox("sb").listExposures(),
          /PRIME_API_KEY/,
        ),
    );
    assert.equal(requests.length, 4);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test("Prime: protocol is HTTP or TCP only (no UDP), before any request", async () => {
  const { requests, fetch } = recording(() => Response.json(exposeAnswer));
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch }).sandbox("sb-1");
  await assert.rejects(sandbox.exposePort({ port: 8000, protocol: "UDP" }), /protocol/);
  assert.equal(requests.length, 0);
});

test("PRIME_CONTEXT selects a saved configuration, as Prime's CLI does (core/config.py@66fb4b7)", async () => {
  const home = await mkdtemp(join(tmpdir(), "sandgate-home-"));
  try {
    await mkdir(join(home, ".prime", "environments"), { recursive: true });
    await writeFile(
      join(home, ".prime", "config.json"),
      JSON.stringify({ api_key: "root-key", base_url: "https://root.example.com" }),
    );
    // `prime config save staging` writes ~/.prime/environments/staging.json.
    await writeFile(
      join(home, ".prime", "environments", "staging.json"),
      JSON.stringify({ api_key: "staging-key", base_url: "https://staging.example.com/api/v1" }),
    );
    await writeFile(
      join(home, ".prime", "environments", "nokey.json"),
      JSON.stringify({ base_url: "https://nokey.example.com" }),
    );
    const { requests, fetch } = recording(() => Response.json({ exposures: [] }));
    const seen = () => requests.map((r) => [new URL(r.url).origin, r.headers.get("authorization")]);
    const list = (context: string | undefined, extra: Record<string, string> = {}) =>
      withEnv(
        { ...PRIME_ENV, HOME: home, USERPROFILE: undefined, PRIME_CONTEXT: context, ...extra },
        () => createPrimeIntellectClient({ fetch }).GET("/api/v1/sandbox/expose/all"),
      );
    await list(undefined);
    await list("staging");
    await list("nokey"); // no api_key there: the root file's key
    await list("PRODUCTION"); // built in: the default base URL, the root file's key
    await list("staging", { PRIME_API_KEY: "env-key", PRIME_API_BASE_URL: "http://127.0.0.1:9" });
    assert.deepEqual(seen(), [
      ["https://root.example.com", "Bearer root-key"],
      ["https://staging.example.com", "Bearer staging-key"],
      ["https://nokey.example.com", "Bearer root-key"],
      ["https://api.primeintellect.ai", "Bearer root-key"],
      ["http://127.0.0.1:9", "Bearer env-key"], // the environment still comes first
    ]);
    // A name with no saved file, or one that is not a name: a ConfigError, nothing sent.
    for (
      const [context, message] of [
        ["stagign", /PRIME_CONTEXT=stagign: there is no readable .*environments\/stagign\.json/],
        ["../config", /PRIME_CONTEXT must name a saved configuration: letters, digits, _ and -/],
      ] as const
    ) {
      await assert.rejects(list(context), (error: Error) => {
        assert.equal(error.name, "ConfigError");
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(requests.length, 5);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
