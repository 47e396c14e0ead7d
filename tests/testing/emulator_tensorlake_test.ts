// The emulator's Tensorlake endpoints (PTY, lifecycle lookup), driven through emulator.fetch:
// bodies validated against openapi/tensorlake.yaml.
import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/testing/mod.ts";
import { Tensorlake } from "../../mod.ts";
import { assertSchema, emulatorWith, KEY, req, TL } from "./_emulator.ts";

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
