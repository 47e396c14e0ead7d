import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, NotFoundError, RateLimitedError, Tensorlake } from "../../mod.ts";
import {
  noContent,
  PTY_TOKEN,
  ptyInfoBody,
  ptyNotFound,
  recordingFetch,
  sequence,
  tensorlake,
} from "../helpers/fake_fetch.ts";

const HOST = "https://my-sb.sandbox.tensorlake.ai";

test("createPty sends snake_case fields and returns the session with its token", async () => {
  const { requests, bodies, fetch } = recordingFetch(() =>
    Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
  );
  const pty = await tensorlake(fetch).sandbox("my-sb").createPty({
    command: "bash",
    args: ["-l"],
    env: { TERM: "xterm-256color" },
    workingDir: "/workspace",
    rows: 40,
    cols: 120,
  });
  assert.equal(requests[0]!.method, "POST");
  assert.equal(requests[0]!.url, `${HOST}/api/v1/pty`);
  assert.equal(requests[0]!.headers.get("authorization"), "Bearer tl_apiKey_test");
  assert.deepEqual(bodies[0], {
    command: "bash",
    args: ["-l"],
    env: { TERM: "xterm-256color" },
    working_dir: "/workspace",
    rows: 40,
    cols: 120,
  });
  assert.equal(pty.sessionId, "pty-1");
  assert.equal(pty.token, PTY_TOKEN);
});

test("createPty sends only the command when nothing else is given", async () => {
  const { bodies, fetch } = recordingFetch(() =>
    Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
  );
  await tensorlake(fetch).sandbox("my-sb").createPty({ command: "sh" });
  assert.deepEqual(bodies[0], { command: "sh" });
});

test("createPty past 64 sessions is a RateLimitedError with code TOO_MANY_SESSIONS", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({ error: "too many PTY sessions", code: "TOO_MANY_SESSIONS" }, { status: 429 })
  );
  await assert.rejects(
    tensorlake(fetch).sandbox("my-sb").createPty({ command: "sh" }),
    (error: unknown) => error instanceof RateLimitedError && error.code === "TOO_MANY_SESSIONS",
  );
});

test("listPtys and getPty map sessions to camelCase", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.url.endsWith("/api/v1/pty")
      ? Response.json({
        sessions: [ptyInfoBody(), ptyInfoBody({ session_id: "pty-2", exit_code: 0 })],
      })
      : Response.json(
        ptyInfoBody({
          is_alive: false,
          ended_at: Date.parse("2026-05-01T12:05:00Z"),
          exit_code: 137,
          oom_killed: true,
          client_count: 2, // a field a newer daemon adds: tolerated
        }),
      )
  );
  const sandbox = tensorlake(fetch).sandbox("my-sb");
  const list = await sandbox.listPtys();
  assert.equal(requests[0]!.method, "GET");
  assert.deepEqual(list[0], {
    sessionId: "pty-1",
    pid: 42,
    command: "bash",
    args: ["-l"],
    rows: 24,
    cols: 80,
    createdAt: new Date("2026-05-01T12:00:00Z"),
    isAlive: true,
    endedAt: null,
    exitCode: null,
    oomKilled: false,
  });
  assert.equal(list[1]!.exitCode, 0);
  const one = await sandbox.getPty("pty-1");
  assert.equal(requests[1]!.url, `${HOST}/api/v1/pty/pty-1`);
  assert.equal(one.isAlive, false);
  assert.deepEqual(one.endedAt, new Date("2026-05-01T12:05:00Z"));
  assert.equal(one.exitCode, 137);
  assert.equal(one.oomKilled, true);
  assert.equal("clientCount" in one, false);
});

test("getPty of an unknown session is a NotFoundError with the proxy's message", async () => {
  const { fetch } = recordingFetch(ptyNotFound);
  await assert.rejects(tensorlake(fetch).sandbox("my-sb").getPty("nope"), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.code, "NOT_FOUND");
    assert.match(error.message, /PTY session not found/);
    return true;
  });
});

test("resizePty posts rows and cols; 204 resolves", async () => {
  const { requests, bodies, fetch } = recordingFetch(noContent);
  const result = await tensorlake(fetch).sandbox("my-sb").resizePty("pty-1", {
    rows: 50,
    cols: 200,
  });
  assert.equal(result, undefined);
  assert.equal(requests[0]!.method, "POST");
  assert.equal(requests[0]!.url, `${HOST}/api/v1/pty/pty-1/resize`);
  assert.deepEqual(bodies[0], { rows: 50, cols: 200 });
});

test("killPty: 204 resolves, 404 is already gone, strict throws NotFoundError", async () => {
  const { requests, fetch } = recordingFetch(sequence(noContent, ptyNotFound));
  const sandbox = tensorlake(fetch).sandbox("my-sb");
  assert.deepEqual(await sandbox.killPty("pty-1"), { alreadyGone: false });
  assert.equal(requests[0]!.method, "DELETE");
  assert.equal(requests[0]!.url, `${HOST}/api/v1/pty/pty-1`);
  assert.deepEqual(await sandbox.killPty("pty-1"), { alreadyGone: true });
  await assert.rejects(sandbox.killPty("pty-1", { strict: true }), NotFoundError);
});

test("Pty handle: resize, info and kill go to its own session; kill is sent once", async () => {
  const { requests, bodies, fetch } = recordingFetch((request) => {
    if (request.method === "POST" && request.url.endsWith("/api/v1/pty")) {
      return Response.json({ session_id: "pty-7", token: PTY_TOKEN }, { status: 201 });
    }
    if (request.method === "GET") return Response.json(ptyInfoBody({ session_id: "pty-7" }));
    return noContent();
  });
  const pty = await tensorlake(fetch).sandbox("my-sb").createPty({ command: "bash" });
  await pty.resize({ rows: 10, cols: 20 });
  assert.equal(requests[1]!.url, `${HOST}/api/v1/pty/pty-7/resize`);
  assert.deepEqual(bodies[1], { rows: 10, cols: 20 });
  assert.equal((await pty.info()).sessionId, "pty-7");
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  await pty[Symbol.asyncDispose]();
  assert.equal(requests.filter((r) => r.method === "DELETE").length, 1);
});

test("concurrent kills share one request", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.method === "POST"
      ? Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
      : noContent()
  );
  const pty = await tensorlake(fetch).sandbox("my-sb").createPty({ command: "bash" });
  const results = await Promise.all([pty.kill(), pty.kill(), pty[Symbol.asyncDispose]()]);
  assert.deepEqual(results[0], { alreadyGone: false });
  assert.equal(requests.filter((r) => r.method === "DELETE").length, 1);
});

test("sandbox(): a proxy is used as given with X-Tensorlake-Sandbox-Id (tensorlakeai/tensorlake typescript/src/url.ts), endpoints as they are, handles cached", async () => {
  const { requests, fetch } = recordingFetch(() => Response.json({ sessions: [] }));
  const client = tensorlake(fetch, { proxyUrl: "https://proxy.example.com" });
  assert.equal(client.sandbox("abc"), client.sandbox("abc"));
  assert.notEqual(client.sandbox("abc"), client.sandbox("def"));
  await client.sandbox("abc").listPtys();
  await client.sandbox("https://xyz.sandbox.tensorlake.ai").listPtys();
  await client.sandbox("http://localhost:8911").listPtys();
  assert.deepEqual(requests.map((r) => r.url), [
    "https://proxy.example.com/api/v1/pty",
    "https://xyz.sandbox.tensorlake.ai/api/v1/pty",
    "http://localhost:8911/api/v1/pty",
  ]);
  assert.deepEqual(requests.map((r) => r.headers.get("x-tensorlake-sandbox-id")), [
    "abc",
    null,
    null,
  ]);
  assert.equal(client.sandbox("abc").id, "abc");
  assert.equal(typeof client.sandbox("abc").client.GET, "function");
});

test("sandbox(): bad ids and insecure endpoints are rejected before any request", () => {
  const { requests, fetch } = recordingFetch();
  const client = tensorlake(fetch);
  for (const bad of ["", "a.b", "-x", "a_b", "x".repeat(64), "http://evil.example.com", "a/b"]) {
    assert.throws(() => client.sandbox(bad), InvalidArgumentError, bad);
  }
  assert.equal(requests.length, 0);
});

test("Tensorlake refuses per-sandbox options at construction", () => {
  for (const key of ["sandbox", "baseUrl"]) {
    assert.throws(
      () => new Tensorlake({ apiKey: "k", [key]: "https://x.example.com" } as never),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === `options.${key}`,
    );
  }
});

test("sandbox.client is the client its methods send with: middleware added to it sees them", async () => {
  const { fetch } = recordingFetch((request) =>
    request.method === "POST"
      ? Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
      : Response.json({ sessions: [] })
  );
  const sandbox = tensorlake(fetch).sandbox("my-sb");
  const seen: string[] = [];
  sandbox.client.use({
    onRequest({ request }) {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
    },
  });
  await sandbox.createPty({ command: "sh" });
  await sandbox.listPtys();
  assert.deepEqual(seen, ["POST /api/v1/pty", "GET /api/v1/pty"]);
});
