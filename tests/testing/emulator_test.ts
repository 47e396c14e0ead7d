// The emulator, driven directly through emulator.fetch(new Request(...)): every
// endpoint of both specs, status codes and bodies validated against openapi/*.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { Ajv } from "ajv";
import {
  createEmulator,
  type EmulatorOptions,
  FakeClock,
  type FaultKind,
} from "../../src/testing/mod.ts";
import { Tensorlake } from "../../mod.ts";

const PRIME = "https://api.primeintellect.ai";
const TL = "https://my-sb.sandbox.tensorlake.ai";
const KEY = "test-key";

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
for (const name of ["primeintellect", "tensorlake"]) {
  const doc = parse(
    await readFile(new URL(`../../openapi/${name}.yaml`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  ajv.addSchema(doc, name);
}

function assertSchema(spec: "primeintellect" | "tensorlake", schema: string, body: unknown) {
  const validate = ajv.getSchema(`${spec}#/components/schemas/${schema}`);
  assert.ok(validate, `schema ${schema} exists`);
  assert.ok(
    validate(body),
    `${schema}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`,
  );
}

function req(
  method: string,
  url: string,
  body?: unknown,
  token: string | null = KEY,
): Request {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Request(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

function emulatorWith(options: EmulatorOptions = {}) {
  return createEmulator({ rateLimit: false, ...options });
}

test("Prime: expose, list, unexpose answer spec-shaped bodies", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const res = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port: 8000, name: "web" }),
  );
  assert.equal(res.status, 200);
  const exposed = await res.json();
  assertSchema("primeintellect", "ExposePortResponse", exposed);
  assert.equal(exposed.sandbox_id, "sb-1");
  assert.equal(exposed.port, 8000);
  assert.equal(exposed.protocol, "HTTP");
  assert.equal(exposed.url, "https://8000-sb-1.emulator.sandgate.invalid");
  assert.equal(exposed.external_port, null);

  const tcp = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port: 5432, protocol: "TCP" }),
  )).json();
  assertSchema("primeintellect", "ExposePortResponse", tcp);
  assert.equal(typeof tcp.external_port, "number");
  assert.equal(tcp.external_endpoint, `tcp.emulator.sandgate.invalid:${tcp.external_port}`);

  const listed = await (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`)))
    .json();
  assertSchema("primeintellect", "ListExposedPortsResponse", listed);
  assert.deepEqual(listed.exposures.map((e: { port: number }) => e.port), [8000, 5432]);
  assert.equal(listed.exposures[0].created_at, new Date(clock.now()).toISOString());

  const del = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/expose/${exposed.exposure_id}`),
  );
  assert.equal(del.status, 200);
  assertSchema("primeintellect", "UnexposePortResponse", await del.json());
  assert.equal(emulator.live().exposures, 1);

  const again = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/expose/${exposed.exposure_id}`),
  );
  assert.equal(again.status, 404);
  assert.deepEqual(await again.json(), { detail: "Exposure not found" });
});

test("Prime: 422 ErrorResponse for out-of-range and malformed input", async () => {
  const emulator = emulatorWith();
  const cases: [unknown, string][] = [
    [{ port: 21 }, "port"],
    [{ port: 9001 }, "port"],
    [{ port: 80.5 }, "port"],
    [{ port: "80" }, "port"],
    [{}, "port"],
    [{ port: 80, name: "x".repeat(51) }, "name"],
    [{ port: 80, protocol: "SCTP" }, "protocol"],
    ["{not json", "body"],
    ["", "body"],
    [[1, 2], "body"],
  ];
  for (const [body, param] of cases) {
    const res = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, body));
    assert.equal(res.status, 422, JSON.stringify(body));
    const json = await res.json();
    assertSchema("primeintellect", "ErrorResponse", json);
    assert.equal(json.errors[0].param, param, JSON.stringify(body));
  }
  const boundary = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 22, name: "x".repeat(50) }),
  );
  assert.equal(boundary.status, 200);
  const top = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 9000 }),
  );
  assert.equal(top.status, 200);
  assert.equal(emulator.live().exposures, 2);
});

test("Prime: ports 8080, 2222 and 8081 are refused like an out-of-range one (an assumed 422)", async () => {
  const emulator = emulatorWith();
  for (const port of [8080, 2222, 8081]) {
    const res = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb-1/expose`, { port }));
    assert.equal(res.status, 422);
    const body = await res.json();
    assertSchema("primeintellect", "ErrorResponse", body);
    assert.match(JSON.stringify(body), new RegExp(`Port ${port} cannot be exposed`));
  }
  assert.equal(emulator.live().exposures, 0);
});

test("Prime: SSH session has all 12 fields, expires_at from ttl, closing removes its exposure", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const res = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, { ttl_seconds: 120 }),
  );
  assert.equal(res.status, 200);
  const session = await res.json();
  assertSchema("primeintellect", "SSHSessionResponse", session);
  assert.equal(Object.keys(session).length, 12);
  assert.equal(session.expires_at, new Date(clock.now() + 120_000).toISOString());
  assert.equal(session.gateway_url, `${PRIME}/gateway`);
  assert.ok(session.token.length >= 32);
  assert.equal(session.external_endpoint, `${session.host}:${session.port}`);

  const defaults = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, {}),
  )).json();
  assert.equal(defaults.ttl_seconds, 900);
  assert.equal(defaults.expires_at, new Date(clock.now() + 900_000).toISOString());
  assert.notEqual(defaults.token, session.token);

  const listed = await (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`)))
    .json();
  assert.ok(
    listed.exposures.some((e: { exposure_id: string }) => e.exposure_id === session.exposure_id),
  );
  assert.deepEqual(emulator.live().sandboxes["sb-1"], { exposures: 2, sshSessions: 2, ptys: 0 });

  const close = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${session.session_id}`),
  );
  assert.equal(close.status, 200);
  assertSchema("primeintellect", "UnexposePortResponse", await close.json());
  assert.deepEqual(emulator.live().sandboxes["sb-1"], { exposures: 1, sshSessions: 1, ptys: 0 });
  const again = await emulator.fetch(
    req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${session.session_id}`),
  );
  assert.equal(again.status, 404);
  assert.deepEqual(await again.json(), { detail: "SSH session not found" });

  // Expired sessions disappear with their exposure.
  clock.advance(900_000);
  assert.equal(emulator.live().sshSessions, 0);
  assert.equal(emulator.live().exposures, 0);
});

test("Prime: ttl_seconds outside 1..3600 or not an integer is a 422", async () => {
  const emulator = emulatorWith();
  for (const ttl of [0, 3601, 1.5, "60", true]) {
    const res = await emulator.fetch(
      req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`, { ttl_seconds: ttl }),
    );
    assert.equal(res.status, 422, String(ttl));
    assert.equal((await res.json()).errors[0].param, "ttl_seconds");
  }
  const max = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`, { ttl_seconds: 3600 }),
  );
  assert.equal(max.status, 200);
  const missing = await emulator.fetch(req("POST", `${PRIME}/api/v1/sandbox/sb/ssh-session`));
  assert.equal(missing.status, 422);
});

test("gateway authorize checks the session token and body", async () => {
  const emulator = emulatorWith();
  const s = await (await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/sb-1/ssh-session`, {}),
  )).json();
  const url = `${s.gateway_url}/${s.user_ns}/${s.job_id}/authorize`;
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1234567890abcdef user@host";
  const body = { session_id: s.session_id, public_key: key, ttl_seconds: 900 };

  const ok = await emulator.fetch(req("POST", url, body, s.token));
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { authorized: true });
  assert.deepEqual(emulator.snapshot().sandboxes["sb-1"]!.sshSessions[0]!.authorized_keys, [key]);

  assert.equal((await emulator.fetch(req("POST", url, body, null))).status, 401);
  assert.equal((await emulator.fetch(req("POST", url, body, KEY))).status, 401);
  assert.equal(
    (await emulator.fetch(req("POST", url, { ...body, public_key: "nope" }, s.token))).status,
    422,
  );
  assert.equal(
    (await emulator.fetch(
      req("POST", `${s.gateway_url}/other/${s.job_id}/authorize`, body, s.token),
    )).status,
    404,
  );
  await emulator.fetch(req("DELETE", `${PRIME}/api/v1/sandbox/sb-1/ssh-session/${s.session_id}`));
  assert.equal((await emulator.fetch(req("POST", url, body, s.token))).status, 404);
  // The snapshot never carries tokens.
  assert.ok(!JSON.stringify(emulator.snapshot()).includes(s.token));
});

test("Tensorlake: PTY create, list, get, resize, kill", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const res = await emulator.fetch(
    req("POST", `${TL}/api/v1/pty`, { command: "bash", args: ["-l"], working_dir: "/work" }),
  );
  assert.equal(res.status, 201);
  const created = await res.json();
  assertSchema("tensorlake", "CreatePtyResponse", created);
  const id = created.session_id;

  const one = await (await emulator.fetch(req("GET", `${TL}/api/v1/pty/${id}`))).json();
  assertSchema("tensorlake", "PtySessionInfo", one);
  // The documented fields (docs.tensorlake.ai/api-reference/v2/pty/get): epoch ms, no working_dir.
  assert.deepEqual(one, {
    session_id: id,
    pid: one.pid,
    command: "bash",
    args: ["-l"],
    rows: 24,
    cols: 80,
    created_at: clock.now(),
    ended_at: null,
    exit_code: null,
    is_alive: true,
  });
  assert.ok(Number.isInteger(one.pid) && one.pid > 0);

  // Tensorlake clamps rows to 1..500 and cols to 1..1000 (pty/resize).
  const clamped = await emulator.fetch(
    req("POST", `${TL}/api/v1/pty/${id}/resize`, { rows: 9999, cols: 0 }),
  );
  assert.equal(clamped.status, 204);
  const after = await (await emulator.fetch(req("GET", `${TL}/api/v1/pty/${id}`))).json();
  assert.deepEqual([after.rows, after.cols], [500, 1]);
  const resize = await emulator.fetch(
    req("POST", `${TL}/api/v1/pty/${id}/resize`, { rows: 50, cols: 200 }),
  );
  assert.equal(resize.status, 204);
  assert.equal(await resize.text(), "");
  const list = await (await emulator.fetch(req("GET", `${TL}/api/v1/pty`))).json();
  assertSchema("tensorlake", "ListPtyResponse", list);
  assert.equal(list.sessions[0].rows, 50);
  assert.equal(list.sessions[0].cols, 200);
  assert.deepEqual(emulator.live().sandboxes["my-sb"], { exposures: 0, sshSessions: 0, ptys: 1 });

  const kill = await emulator.fetch(req("DELETE", `${TL}/api/v1/pty/${id}`));
  assert.equal(kill.status, 204);
  for (
    const [method, path, body] of [
      ["DELETE", `/api/v1/pty/${id}`, undefined],
      ["GET", `/api/v1/pty/${id}`, undefined],
      ["POST", `/api/v1/pty/${id}/resize`, { rows: 1, cols: 1 }],
    ] as const
  ) {
    const gone = await emulator.fetch(req(method, `${TL}${path}`, body));
    assert.equal(gone.status, 404, `${method} ${path}`);
    const json = await gone.json();
    assertSchema("tensorlake", "SandboxProxyError", json);
    assert.equal(json.code, "NOT_FOUND");
  }
});

test("Tensorlake: a PTY's exit is recorded: is_alive false, exit_code, ended_at (get and list)", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock });
  const sandbox = new Tensorlake({
    apiKey: KEY,
    fetch: emulator.fetch,
    webSocket: emulator.webSocket,
  }).sandbox("my-sb");
  const pty = await sandbox.createPty({ command: "bash" });
  const terminal = await sandbox.attachPty(pty.sessionId, pty.token);
  clock.advance(1500);
  const writer = terminal.input.getWriter();
  await writer.write("exit 7\n");
  assert.deepEqual(await terminal.exit, { kind: "exited", exitCode: 7 });
  const one = await (await emulator.fetch(req("GET", `${TL}/api/v1/pty/${pty.sessionId}`))).json();
  assertSchema("tensorlake", "PtySessionInfo", one);
  assert.equal(one.is_alive, false);
  assert.equal(one.exit_code, 7);
  assert.equal(one.ended_at, clock.now());
  assert.ok(one.ended_at > one.created_at);
  const [listed] = await sandbox.listPtys();
  assert.deepEqual([listed?.isAlive, listed?.exitCode], [false, 7]);
  assert.equal(listed?.endedAt?.getTime(), clock.now());
  // docs/usage.md's clean-up loop now finds it: an ended PTY is still listed until killed.
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  assert.equal((await sandbox.listPtys()).length, 0);
});

test("Tensorlake: sandboxes are named by X-Tensorlake-Sandbox-Id, else the host's first label, loopback is the default", async () => {
  const emulator = emulatorWith();
  const named = req("POST", "http://127.0.0.1:8000/api/v1/pty", { command: "sh" });
  named.headers.set("X-Tensorlake-Sandbox-Id", "c");
  assert.equal((await emulator.fetch(named)).status, 201);
  assert.equal(emulator.live().sandboxes.c?.ptys, 1);
  await emulator.fetch(
    req("POST", "https://a.sandbox.tensorlake.ai/api/v1/pty", { command: "sh" }),
  );
  await emulator.fetch(req("POST", "http://127.0.0.1:8000/api/v1/pty", { command: "sh" }));
  await emulator.fetch(req("POST", "http://localhost/api/v1/pty", { command: "sh" }));
  const live = emulator.live();
  assert.equal(live.sandboxes.a?.ptys, 1);
  assert.equal(live.sandboxes.default?.ptys, 2);
  const other =
    await (await emulator.fetch(req("GET", "https://b.sandbox.tensorlake.ai/api/v1/pty")))
      .json();
  assert.deepEqual(other, { sessions: [] });
});

test("Tensorlake: 400 for bad input, 429 TOO_MANY_SESSIONS past the maximum", async () => {
  const emulator = emulatorWith({ maxPtySessions: 3 });
  for (
    const body of [
      {},
      { command: "" },
      { command: "sh", rows: 1.5 },
      { command: "sh", cols: "80" },
      { command: "sh", args: [1] },
      { command: "sh", env: { A: 1 } },
      "nope",
    ]
  ) {
    const res = await emulator.fetch(req("POST", `${TL}/api/v1/pty`, body));
    assert.equal(res.status, 400, JSON.stringify(body));
    const json = await res.json();
    assertSchema("tensorlake", "SandboxProxyError", json);
    assert.equal(json.code, "INVALID_REQUEST");
  }
  for (let i = 0; i < 3; i++) {
    assert.equal(
      (await emulator.fetch(req("POST", `${TL}/api/v1/pty`, { command: "sh" }))).status,
      201,
    );
  }
  const over = await emulator.fetch(req("POST", `${TL}/api/v1/pty`, { command: "sh" }));
  assert.equal(over.status, 429);
  assert.equal((await over.json()).code, "TOO_MANY_SESSIONS");
  assert.equal(emulator.live().ptys, 3);
});

test("the PTY limit defaults to 64 per sandbox", async () => {
  const emulator = emulatorWith();
  for (let i = 0; i < 64; i++) {
    assert.equal(
      (await emulator.fetch(req("POST", `${TL}/api/v1/pty`, { command: "sh" }))).status,
      201,
    );
  }
  assert.equal(
    (await emulator.fetch(req("POST", `${TL}/api/v1/pty`, { command: "sh" }))).status,
    429,
  );
});

test("401 without a valid bearer token, in each provider's error shape", async () => {
  const open = emulatorWith();
  const prime = await open.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, null));
  assert.equal(prime.status, 401);
  assert.deepEqual(await prime.json(), { detail: "Unauthorized" });
  const tl = await open.fetch(req("GET", `${TL}/api/v1/pty`, undefined, null));
  assert.equal(tl.status, 401);
  const body = await tl.json();
  assertSchema("tensorlake", "SandboxProxyError", body);
  assert.equal(body.code, "UNAUTHORIZED");
  assert.equal((await open.fetch(req("GET", `${TL}/api/v1/pty`, undefined, "any"))).status, 200);

  const restricted = emulatorWith({ apiKeys: ["good"] });
  assert.equal(
    (await restricted.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, "bad")))
      .status,
    401,
  );
  assert.equal(
    (await restricted.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb/expose`, undefined, "good")))
      .status,
    200,
  );
  assert.equal(restricted.live().exposures, 0);
});

test("known sandboxes: others answer 404", async () => {
  const emulator = emulatorWith({ sandboxes: ["sb-1", "my-sb"] });
  assert.equal(
    (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb-1/expose`))).status,
    200,
  );
  const unknown = await emulator.fetch(
    req("POST", `${PRIME}/api/v1/sandbox/zz/expose`, { port: 80 }),
  );
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { detail: "Sandbox not found" });
  assert.equal((await emulator.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  const tl = await emulator.fetch(req("GET", "http://127.0.0.1/api/v1/pty"));
  assert.equal(tl.status, 404);
  assert.equal((await tl.json()).code, "SANDBOX_NOT_FOUND");
});

test("Prime: GET /api/v1/sandbox/{id} answers a SandboxResponse with the configured status and vm", async () => {
  const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
  const emulator = emulatorWith({
    clock,
    sandboxes: ["sb-1", { id: "sb-vm", vm: true }, { id: "sb-new", status: "PENDING" }],
  });
  const get = (id: string) => emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/${id}`));
  const running = await get("sb-1");
  assert.equal(running.status, 200);
  const body = await running.json();
  assertSchema("primeintellect", "SandboxResponse", body);
  // What their SDK's VM guard and their CLI's ssh read (prime models.py@66fb4b7, Sandbox).
  assert.equal(body.id, "sb-1");
  assert.equal(body.status, "RUNNING");
  assert.equal(body.vm, false);
  assert.equal(body.createdAt, "2026-12-06T12:00:00.000Z");
  assert.equal(body.startedAt, body.createdAt);
  const vm = await (await get("sb-vm")).json();
  assert.deepEqual([vm.status, vm.vm], ["RUNNING", true]);
  const pending = await (await get("sb-new")).json();
  assert.deepEqual([pending.status, pending.vm, pending.startedAt], ["PENDING", false, null]);
  const unknown = await get("zz");
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { detail: "Sandbox not found" });
  const anonymous = await emulator.fetch(
    req("GET", `${PRIME}/api/v1/sandbox/sb-1`, undefined, null),
  );
  assert.equal(anonymous.status, 401);
});

test("Prime: GET /api/v1/sandbox/{id} has its documented budget of 300 / 60 s, apart from the writes", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({ clock });
  for (let i = 0; i < 20; i += 1) {
    const res = await emulator.fetch(
      req("POST", `${PRIME}/api/v1/sandbox/sb/expose`, { port: 3000 + i }),
    );
    assert.equal(res.status, 200);
  }
  for (let i = 0; i < 300; i += 1) {
    assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb`))).status, 200);
  }
  assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/sb`))).status, 429);
});

test("unknown paths are 404 and wrong methods 405, in the addressed provider's error shape", async () => {
  const emulator = emulatorWith();
  const prime = await emulator.fetch(req("GET", `${PRIME}/api/v2/nothing`));
  assert.equal(prime.status, 404);
  assert.deepEqual(await prime.json(), { detail: "Not Found" });
  const wrong = await emulator.fetch(req("PUT", `${TL}/api/v1/pty`));
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "GET, POST");
  const wrongBody = await wrong.json();
  assertSchema("tensorlake", "SandboxProxyError", wrongBody);
  assert.equal(wrongBody.code, "METHOD_NOT_ALLOWED");
  // Tensorlake's documented error shape { error, code? }, never FastAPI's { detail }:
  // by its host, by X-Tensorlake-Sandbox-Id, by a {id}.local host, or by a Tensorlake path.
  const tensorlakeAsked = [
    req("GET", `${TL}/nothing`),
    req("GET", "http://sb-1.local:9/nothing"),
    req("GET", "http://127.0.0.1:9/api/v1/pty/x/nothing"),
    req("GET", "http://127.0.0.1:9/v1/namespaces/default/nothing"),
  ];
  const named = req("GET", "http://127.0.0.1:9/nothing");
  named.headers.set("X-Tensorlake-Sandbox-Id", "sb-1");
  for (const request of [...tensorlakeAsked, named]) {
    const response = await emulator.fetch(request);
    assert.equal(response.status, 404, request.url);
    const body = await response.json();
    assertSchema("tensorlake", "SandboxProxyError", body);
    assert.equal(body.code, "NOT_FOUND", request.url);
    assert.equal("detail" in body, false);
  }
  const ws = emulator.acceptWebSocket(new Request(`${TL}/api/v1/nothing/ws`));
  assert.ok(ws instanceof Response);
  assert.equal((await ws.json()).code, "NOT_FOUND");
});

// Tensorlake's SDK on a localhost API URL asks GET /v1/namespaces/{ns}/sandboxes/{id}
// (tensorlakeai/tensorlake@ef3cf682 crates/rust-cloud-sdk-node/src/sandbox.rs) and routes
// through its sandbox_url (crates/cloud-sdk/src/sandboxes/mod.rs@cab3838); the fields are
// docs.tensorlake.ai/api-reference/v2/sandboxes/get's.
test("Tensorlake lifecycle lookup: a running sandbox whose sandbox_url leads back to the emulator", async () => {
  const clock = new FakeClock();
  const emulator = emulatorWith({ clock, sandboxes: ["sb-1"] });
  const local = await emulator.fetch(
    req("GET", "http://127.0.0.1:8900/v1/namespaces/default/sandboxes/sb-1"),
  );
  assert.equal(local.status, 200);
  assert.deepEqual(await local.json(), {
    id: "sb-1",
    namespace: "default",
    status: "running",
    created_at: clock.now(),
    resources: { cpus: 1, memory_mb: 512, ephemeral_disk_mb: 1024 },
    timeout_secs: 0,
    allow_unauthenticated_access: false,
    sandbox_url: "http://127.0.0.1:8900",
  });
  const cloud = await (await emulator.fetch(
    req("GET", "https://api.tensorlake.ai/v1/namespaces/ns/sandboxes/sb-1"),
  )).json();
  assert.equal(cloud.namespace, "ns");
  // The documented cloud path GET /sandboxes/{id} answers the same sandbox.
  const flat = await (await emulator.fetch(req("GET", "https://api.tensorlake.ai/sandboxes/sb-1")))
    .json();
  assert.deepEqual([flat.id, flat.namespace, flat.sandbox_url], [
    "sb-1",
    "default",
    "https://sb-1.sandbox.tensorlake.ai",
  ]);
  assert.equal(cloud.sandbox_url, "https://sb-1.sandbox.tensorlake.ai");
  assert.equal(cloud.ingress_endpoint, "https://sandbox.tensorlake.ai");
  // The sandbox_url reaches the same sandbox.
  const pty = new Request(`${cloud.sandbox_url}/api/v1/pty`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "x-tensorlake-sandbox-id": "sb-1" },
    body: JSON.stringify({ command: "sh" }),
  });
  assert.equal((await emulator.fetch(pty)).status, 201);
  assert.equal(emulator.live().sandboxes["sb-1"]?.ptys, 1);

  const unknown = await emulator.fetch(
    req("GET", "http://127.0.0.1:8900/v1/namespaces/default/sandboxes/nope"),
  );
  assert.equal(unknown.status, 404);
  const unknownBody = await unknown.json();
  assertSchema("tensorlake", "SandboxProxyError", unknownBody);
  assert.equal(unknownBody.code, "SANDBOX_NOT_FOUND");
  const anonymous = await emulator.fetch(
    req("GET", "http://127.0.0.1:8900/v1/namespaces/default/sandboxes/sb-1", undefined, null),
  );
  assert.equal(anonymous.status, 401);
  assert.equal((await anonymous.json()).code, "UNAUTHORIZED");
});

test("rate limit: Prime's documented budgets, sliding, with Retry-After; none on Tensorlake", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({ clock });
  // 60 / 60 s per token and sandbox for listing (list-exposed-ports-endpoint) …
  const lister = createEmulator({ clock });
  for (let i = 0; i < 60; i++) {
    const res = await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/a/expose`));
    assert.equal(res.status, 200);
  }
  assert.equal((await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/a/expose`))).status, 429);
  // … and for listing all, per token only (list-all-exposed-ports-endpoint).
  for (let i = 0; i < 60; i++) {
    assert.equal(
      (await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/expose/all`))).status,
      200,
    );
  }
  assert.equal((await lister.fetch(req("GET", `${PRIME}/api/v1/sandbox/expose/all`))).status, 429);
  // Tensorlake documents no limit for the sandbox proxy.
  for (let i = 0; i < 100; i++) {
    assert.equal((await lister.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  }
  // 20 / 60 s per token and sandbox, shared by expose, unexpose and SSH create/close.
  const list = (sandbox: string, token = KEY) =>
    emulator.fetch(
      req("DELETE", `${PRIME}/api/v1/sandbox/${sandbox}/expose/nope`, undefined, token),
    );
  for (let i = 0; i < 20; i++) {
    assert.equal((await list("a")).status, 404);
    clock.advance(1000); // requests at 0 s, 1 s, … 19 s
  }
  const limited = await list("a"); // at 20 s: the window (−40 s, 20 s] is full
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "40");
  assert.deepEqual(await limited.json(), { detail: "Rate limit exceeded" });
  // Other sandboxes and tokens have their own windows.
  assert.equal((await list("b")).status, 404);
  assert.equal((await list("a", "other")).status, 404);
  clock.advance(40_000); // at 60 s the request at 0 s has left the window
  assert.equal((await list("a")).status, 404);
  assert.equal((await list("a")).status, 429);
  assert.equal(emulator.stats.rateLimited, 2);
  assert.equal(emulator.stats.overLimit, 0);
  assert.equal(emulator.stats.served, 23);

  const tl = createEmulator({ clock, rateLimit: { limit: 1, windowMs: 1000 } });
  assert.equal((await tl.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
  const tlLimited = await tl.fetch(req("GET", `${TL}/api/v1/pty`));
  assert.equal(tlLimited.status, 429);
  assert.equal((await tlLimited.json()).code, "RATE_LIMITED");
  assert.equal(tlLimited.headers.get("retry-after"), "1");
});

test("rate limit not enforced: serves everything and counts overLimit", async () => {
  const clock = new FakeClock(0);
  const emulator = createEmulator({
    clock,
    rateLimit: { limit: 5, windowMs: 1000, enforce: false },
  });
  for (let i = 0; i < 8; i++) {
    assert.equal(
      (await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`))).status,
      200,
    );
  }
  assert.equal(emulator.stats.overLimit, 3);
  assert.equal(emulator.stats.rateLimited, 0);
  clock.advance(1000);
  assert.equal((await emulator.fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`))).status, 200);
  assert.equal(emulator.stats.overLimit, 3);
});

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

test("onRequest reports method, path (no query) and status once per request, upgrades and resets too", async () => {
  const log: unknown[] = [];
  const emulator = emulatorWith({
    onRequest: (entry) => log.push(entry),
    faults: { decide: (ctx) => (ctx.request.url.includes("reset") ? "reset" : null) },
  });
  const created = await (await emulator.fetch(
    req("POST", `${TL}/api/v1/pty?token=secret`, { command: "sh" }),
  )).json();
  await emulator.fetch(req("GET", `${TL}/caf\u00e9\u202e`));
  await assert.rejects(emulator.fetch(req("GET", `${TL}/reset`)));
  emulator.acceptWebSocket(
    new Request(`${TL}/api/v1/pty/${created.session_id}/ws?token=${created.token}`),
  );
  emulator.acceptWebSocket(new Request(`${TL}/api/v1/pty/${created.session_id}/ws?token=bad`));
  assert.deepEqual(log, [
    { method: "POST", path: "/api/v1/pty", status: 201 },
    { method: "GET", path: "/caf%C3%A9%E2%80%AE", status: 404 },
    { method: "GET", path: "/reset", status: "reset" },
    { method: "GET", path: `/api/v1/pty/${created.session_id}/ws`, status: 101 },
    { method: "GET", path: `/api/v1/pty/${created.session_id}/ws`, status: 403 },
  ]);
  // A throwing logger does not break the answer.
  const throwing = emulatorWith({
    onRequest: () => {
      throw new Error("log down");
    },
  });
  assert.equal((await throwing.fetch(req("GET", `${TL}/api/v1/pty`))).status, 200);
});

test("the bound fetch works detached from the emulator object", async () => {
  const { fetch } = createEmulator();
  const res = await fetch(req("GET", `${PRIME}/api/v1/sandbox/s/expose`));
  assert.equal(res.status, 200);
});
