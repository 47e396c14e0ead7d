// A Cloudflare Worker that uses the built npm package: bundled by
// tests/workerd/workerd.mjs with esbuild and run in miniflare (real workerd,
// no nodejs_compat flag). `sandgate:entries` is a virtual module the driver
// generates: the namespace of every entry point of the package, so that every
// module body is evaluated at global scope, where workerd forbids I/O, timers
// and random numbers.
import * as entries from "sandgate:entries";
import {
  createPrimeIntellectClient,
  NotFoundError,
  PrimeIntellect,
  Tensorlake,
  UnsupportedRuntimeError,
} from "sandgate";
import { createEmulator } from "sandgate/testing";

const SANDBOX = "sb-workerd";

const decoder = new TextDecoder();

// Reads a PTY's output until `text` shows up (bounded in bytes).
async function until(reader, text) {
  let seen = "";
  while (!seen.includes(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`output ended before ${JSON.stringify(text)}: ${JSON.stringify(seen)}`);
    seen += decoder.decode(value, { stream: true });
    if (seen.length > 65536) throw new Error(`no ${JSON.stringify(text)} in 64 KiB`);
  }
  return seen;
}

// Issue 16's flow: create → attach → echo hi → resize → exit 3; a second
// client; kill while attached; a wrong token.
async function attachFlow(sandbox) {
  const pty = await sandbox.createPty({ command: "bash", cols: 80, rows: 24 });
  const connection = await pty.attach({ timeoutMs: 10_000 });
  const reader = connection.output.getReader();
  const writer = connection.input.getWriter();
  await until(reader, "$ ");
  await writer.write("echo hi\n");
  const hi = (await until(reader, "\r\nhi\r\n")).includes("echo hi\r\nhi\r\n");
  await connection.resize({ cols: 132, rows: 43 });
  await writer.write("stty size\n");
  const size = (await until(reader, "\r\n43 132\r\n")).includes("43 132");
  await writer.write("exit 3\n");
  const exit = await connection.exit;
  await pty.kill();

  const running = await sandbox.createPty({ command: "bash" });
  const first = await running.attach();
  const second = await sandbox.attachPty(running.sessionId, running.token);
  await second.input.getWriter().write("echo second\n");
  const secondSees = (await until(second.output.getReader(), "\r\nsecond\r\n")).length > 0;
  await running.kill();
  const killed = [(await first.exit).kind, (await second.exit).kind];

  const other = await sandbox.createPty({ command: "bash" });
  const wrong = await sandbox.attachPty(other.sessionId, "not-the-token").then(
    () => "resolved",
    (error) => `${error.name} ${error.status} ${error.code}`,
  );
  await other.kill();
  return { hi, size, exit, secondSees, killed, wrong };
}

// Sends `text` over a connect() stream pair and reads the echo back (bounded), then closes it.
async function echoOver(connection, text) {
  const writer = connection.writable.getWriter();
  await writer.write(new TextEncoder().encode(text));
  const reader = connection.readable.getReader();
  let seen = "";
  while (seen.length < text.length) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  writer.releaseLock();
  await connection.close();
  return seen;
}

// Issue 24: connect() from a Worker, where no listener exists; forward() says why it cannot run.
async function connectFlow(url) {
  const server = url.searchParams.get("server");
  const results = {};
  // Tensorlake in this isolate: the tunnel through emulator.webSocket to a handler service.
  const local = createEmulator({
    services: { 7000: (c) => c.readable.pipeTo(c.writable).catch(() => {}) },
  });
  const inIsolate = new Tensorlake({
    apiKey: "workerd-key",
    fetch: local.fetch,
    webSocket: local.webSocket,
  }).sandbox(SANDBOX);
  results.tensorlakeInIsolate = await echoOver(await inIsolate.connect(7000), "tunnel in isolate");
  // Tensorlake over real HTTP: workerd's WebSocket (fetch + Upgrade) to the served emulator.
  const tensorlake = new Tensorlake({ apiKey: "workerd-key" }).sandbox(server);
  results.tensorlake = await echoOver(await tensorlake.connect(7000), "tunnel over http");
  results.refused = await tensorlake.connect(7999).then(
    () => "resolved",
    (error) => `${error.name} ${error.status}`,
  );
  // Prime Intellect: a TCP exposure's endpoint through cloudflare:sockets.
  const prime = new PrimeIntellect({ apiKey: "workerd-key", baseUrl: server }).sandbox(SANDBOX);
  results.prime = await echoOver(await prime.connect(7000), "prime over a socket");
  results.primeLeft = (await prime.listExposures()).length;
  results.forward = await prime.forward(7000).then(
    () => "resolved",
    (error) => error instanceof UnsupportedRuntimeError ? error.name : String(error),
  );
  return results;
}

// Issue 26: a PTY attached with `reconnect` through a TCP proxy the driver cuts (at the worker's
// request, on its control server): output carries on, input written meanwhile arrives once.
async function reconnectFlow(url) {
  const server = url.searchParams.get("server");
  const control = url.searchParams.get("control");
  const events = [];
  const sandbox = new Tensorlake({
    apiKey: "workerd-key",
    onEvent: (event) => events.push(event),
  }).sandbox(server);
  const pty = await sandbox.createPty({ command: "bash" });
  const connection = await pty.attach({
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 20_000, silenceMs: 0 },
  });
  const reader = connection.output.getReader();
  const writer = connection.input.getWriter();
  await writer.write("echo before\n");
  let seen = await until(reader, "\r\nbefore\r\n");
  await fetch(`${control}/cut`); // reset every connection; refuse new ones until /up
  for (let i = 0; i < 2000; i++) {
    if (events.some((e) => e.type === "reconnecting" && e.attempt >= 2)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await writer.write("echo during\n");
  await fetch(`${control}/up`);
  seen += await until(reader, "\r\nduring\r\n");
  await writer.write("exit 4\n");
  const exit = await connection.exit;
  const lines = seen.split(/\r?\n/);
  return {
    before: lines.filter((l) => l === "before").length,
    during: lines.filter((l) => l === "during").length,
    exit,
    reconnected: events.filter((e) => e.type === "reconnected").length,
  };
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/reconnect") return Response.json(await reconnectFlow(url));
    if (url.pathname === "/connect") return Response.json(await connectFlow(url));
    if (url.pathname === "/attach") {
      // Against the emulator in this isolate, through emulator.webSocket.
      const emulator = createEmulator();
      const sandbox = new Tensorlake({
        apiKey: "workerd-key",
        fetch: emulator.fetch,
        webSocket: emulator.webSocket,
      }).sandbox("sb-workerd");
      return Response.json({ ...(await attachFlow(sandbox)), live: emulator.live().ptys });
    }
    if (url.pathname === "/attach-http") {
      // Against a served emulator over real HTTP, with workerd's own WebSocket
      // (fetch + Upgrade: websocket → response.webSocket).
      const sandbox = new Tensorlake({ apiKey: "workerd-key" }).sandbox(url.searchParams.get("server"));
      return Response.json(await attachFlow(sandbox));
    }
    const emulator = createEmulator();
    const client = createPrimeIntellectClient({ apiKey: "workerd-key", fetch: emulator.fetch });
    const path = { sandbox_id: SANDBOX };

    const exposed = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      params: { path },
      body: { port: 8000, name: "web" },
    });
    const listed = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path } });
    const exposureId = exposed.data?.exposure_id ?? "missing";
    const removed = await client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
      params: { path: { ...path, exposure_id: exposureId } },
    });
    const after = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", { params: { path } });

    // The same with the high-level API: handle, cleanup, typed errors.
    const sandbox = new PrimeIntellect({ apiKey: "workerd-key", fetch: emulator.fetch })
      .sandbox(SANDBOX);
    const exposure = await sandbox.exposePort({ port: 3000 });
    const highListed = (await sandbox.listExposures()).map((e) => e.exposureId);
    const cleanup = await exposure.unexpose();
    const gone = await sandbox.unexposePort(exposure.exposureId, { strict: true }).then(
      () => "resolved",
      (error) => error instanceof NotFoundError ? "NotFoundError" : String(error),
    );

    // No key and no process environment: the error says to pass the binding.
    const missingKey = await new PrimeIntellect({ fetch: emulator.fetch }).sandbox(SANDBOX)
      .listExposures().then(() => "resolved", (error) => `${error.name}: ${error.message}`);
    let userAgent = "";
    await new PrimeIntellect({
      apiKey: "workerd-key",
      fetch: (request) => {
        userAgent = request.headers.get("user-agent") ?? "";
        return emulator.fetch(request);
      },
    }).sandbox(SANDBOX).listExposures();

    return Response.json({
      runtime: navigator.userAgent,
      missingKey,
      userAgent,
      hasProcess: typeof globalThis.process !== "undefined",
      exportCounts: Object.fromEntries(
        Object.entries(entries).map(([name, ns]) => [name, Object.keys(ns).length]),
      ),
      exposed: { status: exposed.response.status, data: exposed.data ?? null },
      listed: listed.data?.exposures?.map((e) => e.exposure_id) ?? null,
      removed: removed.response.status,
      after: after.data?.exposures?.length ?? null,
      highLevel: {
        url: exposure.url,
        listed: highListed.length === 1 && highListed[0] === exposure.exposureId,
        alreadyGone: cleanup.alreadyGone,
        gone,
        live: emulator.live().exposures,
      },
    });
  },
};
