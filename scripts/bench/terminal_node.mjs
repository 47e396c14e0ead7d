// The Node side of benchmark 9 (scripts/bench/terminal.ts runs it on Node 22 with
// scripts/node_lts.ts): PTY clients side by side against one served emulator that the parent
// process runs, so the server never shares this thread. Plain JavaScript so Node runs it as it is;
// sandgate is the npm build (npm/esm, what Node users install).
//
// Variants, alternated round by round:
// - sandgate: `sandbox.openPty()` of the npm build, output read from `connection.output`, input
//   written with `connection.input`'s writer (the web streams);
// - sandgateCallbacks: the same connection without the streams: `connection.onData` and
//   `connection.write`;
// - tensorlake: Tensorlake's own SDK (npm `tensorlake`, a devDependency; `Sandbox.connect` +
//   `createPty({ onData })`, REST through its native client, the socket through `ws`);
// - ws: the floor, a raw `ws` package socket speaking the PTY frames by hand
//   (https://docs.tensorlake.ai/api-reference/v2/pty/websocket: 0x02 READY, 0x00 data);
// - WebSocket: the same floor on Node's own WebSocket (what sandgate uses on Node >= 22).
//
// Then the request path: `sandbox.getPty(id)` of sandgate against a bare `fetch` of the same GET
// (the floor of an SDK built on the runtime's `fetch`), client CPU per call (process.cpuUsage)
// and wall time per call, alternated in rounds. (Tensorlake's SDK has no call of that shape.)
//
// Input: one JSON argument { url, bytes, rounds, keystrokes, starts, calls }. Output: one JSON
// line, per variant the samples of MB/s, keystroke round trips (ms) and create → first byte
// (ms); per request variant CPU µs per call (per round) and wall ms per call.
import { performance } from "node:perf_hooks";

const { url, bytes, rounds, keystrokes, starts, calls, phase } = JSON.parse(process.argv[2]);
const log = process.env.BENCH_DEBUG ? (...a) => console.error(...a) : () => {};
// Bounded: a stuck variant fails the run instead of hanging it.
let step = "start";
setTimeout(() => {
  console.error(`terminal bench: timed out at ${step}`);
  process.exit(3);
}, 30_000).unref();
const KEY = "emulator";
const SANDBOX = "sb-bench";
const decoder = new TextDecoder();
const encoder = new TextEncoder();

const { Tensorlake } = await import("../../npm/esm/mod.js");
const sandgate = new Tensorlake({ apiKey: KEY, rateLimit: false }).sandbox(SANDBOX, {
  sandboxUrl: url,
});
// Tensorlake's SDK reads its defaults from the environment (all 127.0.0.1, set by the parent).
const tensorlake = await import("tensorlake");
const tlSandbox = await tensorlake.Sandbox.connect({
  sandboxId: SANDBOX,
  apiUrl: url,
  apiKey: KEY,
});
const { default: WsSocket } = await import("ws");

/** A raw session: REST create as `fetch`, then the frames by hand on `make(wsUrl, headers)`. */
async function rawSession(make, onData) {
  const response = await fetch(`${url}/api/v1/pty`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${KEY}`,
      "content-type": "application/json",
      "x-tensorlake-sandbox-id": SANDBOX,
    },
    body: JSON.stringify({ command: "bash", rows: 24, cols: 80 }),
  });
  const { session_id: id, token } = await response.json();
  const socket = make(`${url.replace(/^http/, "ws")}/api/v1/pty/${id}/ws?token=${token}`, {
    "X-PTY-Token": token,
    "X-Tensorlake-Sandbox-Id": SANDBOX,
  });
  socket.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("raw socket failed"));
  });
  socket.onmessage = ({ data }) => {
    const frame = new Uint8Array(data);
    if (frame[0] === 0x00) onData(frame.subarray(1));
  };
  socket.send(new Uint8Array([0x02]));
  return {
    write: (text) => {
      const payload = encoder.encode(text);
      const frame = new Uint8Array(payload.byteLength + 1);
      frame.set(payload, 1);
      socket.send(frame);
    },
    close: async () => {
      socket.close();
      await fetch(`${url}/api/v1/pty/${id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${KEY}`, "x-tensorlake-sandbox-id": SANDBOX },
      }).then((r) => r.arrayBuffer());
    },
  };
}

/** Each variant opens a session that calls `onData(bytes)` per output chunk. */
const VARIANTS = {
  async sandgate(onData) {
    const connection = await sandgate.openPty({ command: "bash" });
    const reader = connection.output.getReader();
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        onData(value);
      }
    })().catch(() => {});
    const writer = connection.input.getWriter();
    return {
      write: (text) => writer.write(text),
      close: async () => {
        await connection[Symbol.asyncDispose]();
        await pump;
      },
    };
  },
  async sandgateCallbacks(onData) {
    const connection = await sandgate.openPty({ command: "bash" });
    connection.onData(onData);
    return {
      write: (text) => connection.write(text),
      close: () => connection[Symbol.asyncDispose](),
    };
  },
  async tensorlake(onData) {
    const pty = await tlSandbox.createPty({ command: "bash", rows: 24, cols: 80, onData });
    // kill() makes `wait()` reject ("PTY session terminated"): expected here.
    pty.wait().catch(() => {});
    return {
      write: (text) => pty.sendInput(text),
      close: async () => {
        await pty.kill();
        pty.disconnect();
      },
    };
  },
  ws: (onData) => rawSession((u, headers) => new WsSocket(u, { headers }), onData),
  WebSocket: (onData) => rawSession((u, headers) => new WebSocket(u, { headers }), onData),
};
const names = Object.keys(VARIANTS);

/** A session whose output is counted and searched; `until(test)` waits for it. */
async function open(name) {
  let waiter;
  const state = { received: 0, text: "", first: undefined };
  const onData = (chunk) => {
    state.first ??= performance.now();
    state.received += chunk.byteLength;
    if (chunk.byteLength < 4096) state.text = (state.text + decoder.decode(chunk)).slice(-64);
    waiter?.();
  };
  const t0 = performance.now();
  const session = await VARIANTS[name](onData);
  const until = async (done) => {
    for (let i = 0; !done(); i++) {
      if (i > 1e7) throw new Error(`${name}: no progress`);
      await new Promise((resolve) => (waiter = resolve));
      waiter = undefined;
    }
  };
  await until(() => state.first !== undefined && state.text.includes("$ "));
  return { ...session, state, until, firstByteMs: state.first - t0 };
}

const result = Object.fromEntries(names.map((n) => [n, { mbps: [], rttMs: [], firstByteMs: [] }]));
const order = (round) => names.map((_, i) => names[(i + round) % names.length]);
for (let round = 0; phase === "terminal" && round < Math.max(rounds, starts); round++) {
  for (const name of order(round)) {
    step = `${name} round ${round}: open`;
    log(step);
    const session = await open(name);
    if (round < starts) result[name].firstByteMs.push(session.firstByteMs);
    if (round < rounds) {
      // Throughput: `flood N` until N bytes of output arrived, from the write.
      step = `${name} round ${round}: flood`;
      log(step);
      const base = session.state.received;
      session.state.text = "";
      const start = performance.now();
      await session.write(`flood ${bytes}\n`);
      await session.until(() => session.state.received - base >= bytes);
      result[name].mbps.push(bytes / 1e6 / ((performance.now() - start) / 1000));
      await session.until(() => session.state.text.includes("$ "));
      step = `${name} round ${round}: keystrokes`;
      log(step);
      // Keystrokes: one byte typed, its echo read back; ^C now and then keeps the line short.
      for (let i = 0; i < Math.ceil(keystrokes / rounds); i++) {
        session.state.text = "";
        const t0 = performance.now();
        await session.write("k");
        await session.until(() => session.state.text.includes("k"));
        result[name].rttMs.push(performance.now() - t0);
        if (i % 50 === 49) {
          session.state.text = "";
          await session.write("\x03");
          await session.until(() => session.state.text.includes("$ "));
        }
      }
    }
    step = `${name} round ${round}: close`;
    log(step);
    await session.close();
  }
}
if (phase === "terminal") {
  process.stdout.write(
    `${JSON.stringify({ node: process.versions.node, result })}\n`,
    () => process.exit(0),
  );
  await new Promise(() => {});
}

// The request path (its own process), on a PTY that stays for the run.
step = "request path";
const pty = await sandgate.createPty({ command: "bash" });
const getUrl = `${url}/api/v1/pty/${pty.sessionId}`;
const getHeaders = { authorization: `Bearer ${KEY}`, "x-tensorlake-sandbox-id": SANDBOX };
const REQUESTS = {
  fetch: async () => {
    const response = await fetch(getUrl, { headers: getHeaders });
    if (!response.ok) throw new Error(`GET ${response.status}`);
    return await response.json();
  },
  sandgate: () => sandgate.getPty(pty.sessionId),
};
const request = Object.fromEntries(
  Object.keys(REQUESTS).map((n) => [n, { cpuUs: [], wallMs: [] }]),
);
for (let round = 0; round < rounds + 1; round++) {
  const entries = Object.entries(REQUESTS);
  for (const [name, call] of round % 2 ? entries.reverse() : entries) {
    const wall = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await call();
      wall.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    if (round === 0) continue; // warm-up
    request[name].cpuUs.push((cpu.user + cpu.system) / calls);
    request[name].wallMs.push(...wall);
  }
}
await pty.kill();
// Exit once the line is flushed (a pipe takes 64 KiB at a time); the SDK's sockets may linger.
process.stdout.write(
  `${JSON.stringify({ node: process.versions.node, result, request })}\n`,
  () => process.exit(0),
);
