/**
 * Hostile HTTP clients of the served emulator (`serve()`, which users run in
 * their test suites): an endless request body, a body announced larger than
 * the cap, slowloris headers and bodies, and SSH sessions piling up TCP
 * listeners. Each bound is a small configured value, so nothing waits on a
 * default; the guards below only turn a hang into a failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { ConfigError } from "../../src/errors.ts";
import { createEmulator, FakeClock, serve } from "../../src/testing/mod.ts";
import { loopbackSshEndpoints } from "../../src/testing/ssh_endpoints.ts";
import { settleWithin } from "./_hostile_server.ts";

const AUTH = "authorization: Bearer k\r\n";

function open(port: number): Socket {
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  socket.resume(); // read, so that a close by the server is seen
  return socket;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once("close", () => resolve());
  });
}

/** Whether a TCP port on 127.0.0.1 accepts a connection (an SSH endpoint greets and hangs up). */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Streams a chunked body of up to `total` bytes, writing only when the socket
 * drains, until the server answers or closes. Returns the bytes handed to the
 * socket: the server's reads plus what the kernel buffers hold.
 */
async function endlessUpload(
  port: number,
  path: string,
  total: number,
): Promise<{ written: number; answer: string }> {
  const socket = open(port);
  let answer = "";
  let ended = false;
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => (answer += text));
  const done = closed(socket).then(() => (ended = true));
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${AUTH}content-type: application/json\r\n` +
      "transfer-encoding: chunked\r\n\r\n",
  );
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let written = 0;
  while (!ended && written < total) {
    socket.write(`${chunk.byteLength.toString(16)}\r\n`);
    socket.write(chunk);
    const drained = socket.write("\r\n");
    written += chunk.byteLength;
    if (!drained && !ended) {
      await new Promise<void>((resolve) => {
        socket.once("drain", resolve);
        void done.then(() => resolve());
      });
    }
  }
  if (!ended) socket.end("0\r\n\r\n");
  await settleWithin(done, 10_000);
  socket.destroy();
  return { written, answer };
}

test("served: an endless request body is answered 413 { detail } after at most the cap is read, and serving goes on", async () => {
  const cap = 64 * 1024;
  const total = 64 * 1024 * 1024;
  await using server = await serve(createEmulator(), { maxBodyBytes: cap });
  const { written, answer } = await endlessUpload(
    server.port,
    "/api/v1/sandbox/sb-1/expose",
    total,
  );
  // Before the cap the whole 64 MiB went through; now the server stops reading at the
  // cap, so the client can hand over no more than that plus the kernel's socket buffers.
  assert.ok(written < cap + 24 * 1024 * 1024, `the server took ${written} bytes of ${total}`);
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /connection: close/i);
  assert.match(answer, /\{"detail":"request body larger than 65536 bytes"\}/);
  const after = await fetch(`${server.url}/api/v1/sandbox/sb-1/expose`, {
    headers: { authorization: "Bearer k" },
  });
  assert.equal(after.status, 200);
  await after.body?.cancel();
});

test("served: a body announced over the cap gets 413 at once, in each provider's error shape", async () => {
  const cap = 1024;
  await using server = await serve(createEmulator(), { maxBodyBytes: cap });
  const body = JSON.stringify({ port: 8000, name: "x".repeat(cap) });
  const prime = await fetch(`${server.url}/api/v1/sandbox/sb-1/expose`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body,
  });
  assert.equal(prime.status, 413);
  assert.deepEqual(await prime.json(), { detail: "request body larger than 1024 bytes" });
  // Tensorlake's SandboxProxyError { error, code? }: no code is documented for it.
  const tensorlake = await fetch(`${server.url}/api/v1/pty`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({ command: "sh", args: ["x".repeat(cap)] }),
  });
  assert.equal(tensorlake.status, 413);
  assert.deepEqual(await tensorlake.json(), { error: "request body larger than 1024 bytes" });
  const small = await fetch(`${server.url}/api/v1/sandbox/sb-1/expose`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({ port: 8000 }),
  });
  assert.equal(small.status, 200);
  await small.body?.cancel();
});

test("served: slowloris headers, a stalled body and an idle keep-alive connection are closed; others are served meanwhile", async () => {
  await using server = await serve(createEmulator(), { idleTimeoutMs: 50 });
  const headers = open(server.port);
  headers.write(`GET /api/v1/sandbox/sb-1/expose HTTP/1.1\r\nhost: 127.0.0.1\r\n`);
  const body = open(server.port);
  body.write(
    `POST /api/v1/sandbox/sb-1/expose HTTP/1.1\r\nhost: 127.0.0.1\r\n${AUTH}` +
      "content-type: application/json\r\ncontent-length: 100\r\n\r\n{",
  );
  const silent = open(server.port);
  const answered = await fetch(`${server.url}/api/v1/sandbox/sb-1/expose`, {
    headers: { authorization: "Bearer k" },
  });
  assert.equal(answered.status, 200);
  await answered.body?.cancel();
  for (
    const [name, socket] of [["headers", headers], ["body", body], ["silent", silent]] as const
  ) {
    const outcome = await settleWithin(closed(socket), 10_000);
    assert.equal(outcome.hung, false, `the ${name} slowloris connection is closed`);
  }
  // A keep-alive connection that sent one request and then nothing.
  const idle = open(server.port);
  let answer = "";
  idle.setEncoding("latin1");
  idle.on("data", (text: string) => (answer += text));
  idle.write(`GET /api/v1/sandbox/sb-1/expose HTTP/1.1\r\nhost: 127.0.0.1\r\n${AUTH}\r\n`);
  assert.equal((await settleWithin(closed(idle), 10_000)).hung, false, "idle keep-alive closed");
  assert.match(answer, /^HTTP\/1\.1 200 /, "after its answer");
});

test("served: SSH-session listeners are capped (503 { detail } past it) and freed when sessions end or expire", async () => {
  const clock = new FakeClock(Date.parse("2026-01-01T00:00:00Z"));
  await using server = await serve(createEmulator({ clock }), { maxSshEndpoints: 2 });
  const create = (ttl = 600) =>
    fetch(`${server.url}/api/v1/sandbox/sb-1/ssh-session`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ ttl_seconds: ttl }),
    });
  const first = await (await create()).json();
  const second = await (await create(60)).json();
  assert.ok(await accepts(first.port));
  assert.ok(await accepts(second.port));
  const refused = await create();
  assert.equal(refused.status, 503);
  const detail = (await refused.json()).detail;
  assert.match(detail, /SSH endpoint limit reached: 2/);
  // Nothing half-made: the refused session left no exposure behind.
  const exposures = await (await fetch(`${server.url}/api/v1/sandbox/sb-1/expose`, {
    headers: { authorization: "Bearer k" },
  })).json();
  assert.equal(exposures.exposures.length, 2);

  const close = await fetch(`${server.url}/api/v1/sandbox/sb-1/ssh-session/${first.session_id}`, {
    method: "DELETE",
    headers: { authorization: "Bearer k" },
  });
  assert.equal(close.status, 200);
  await close.body?.cancel();
  assert.equal(await accepts(first.port), false, "a closed session's listener is gone");
  const third = await (await create()).json();
  assert.ok(await accepts(third.port));

  // The second session expires on the emulator's clock: its listener no longer counts.
  clock.tick(61_000);
  const fourth = await create();
  assert.equal(fourth.status, 200);
  const { port } = await fourth.json();
  assert.equal(await accepts(second.port), false, "an expired session's listener is gone");
  assert.ok(await accepts(port));
});

test("served: an SSH listener closes at its session's TTL without any request to notice", async () => {
  await using server = await serve(createEmulator());
  const created = await fetch(`${server.url}/api/v1/sandbox/sb-1/ssh-session`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({ ttl_seconds: 1 }),
  });
  const { port } = await created.json();
  assert.ok(await accepts(port));
  // Bounded poll (no request to the emulator in between): the listener closes on its own.
  let open = true;
  for (let i = 0; i < 100 && open; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    open = await accepts(port);
  }
  assert.equal(open, false, "closed within 10 s of a 1 s TTL");
});

test("serve(): a bound that is not a positive integer is a ConfigError naming it", async () => {
  for (
    const [name, value] of [["maxBodyBytes", 0], ["idleTimeoutMs", 1.5], [
      "maxSshEndpoints",
      -1,
    ]] as const
  ) {
    await assert.rejects(
      serve(createEmulator(), { [name]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.message.includes(name) &&
        error.message.includes("positive integer"),
    );
  }
});

test("SSH endpoints: one still being opened when they close is closed too, not leaked", async () => {
  const endpoints = await loopbackSshEndpoints("127.0.0.1");
  assert.ok(endpoints);
  const opening = endpoints.open("ssh-1", 60_000);
  await endpoints.close();
  await assert.rejects(opening, /SSH endpoints closed/);
  await assert.rejects(endpoints.open("ssh-2"), /SSH endpoints closed/);
  // Deno's resource sanitizer fails this test if a listener were left open.
});
