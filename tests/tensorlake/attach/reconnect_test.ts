// `reconnect`: an attached PTY whose TCP connection is cut (by a proxy of the test's own on
// 127.0.0.1, between the SDK and the served emulator) re-attaches by itself: the output stream
// carries on, input written meanwhile is sent once and in order, a resize made meanwhile is
// applied after, and `exit` settles once, with how the PTY really ended.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  InvalidArgumentError,
  PtyDisconnectedError,
  type SandgateEvent,
  Tensorlake,
} from "../../../mod.ts";
import { createEmulator, serve } from "../../../src/testing/mod.ts";
import { startTcpProxy } from "../../helpers/tcp_proxy.ts";
import { readUntil } from "./_terminal.ts";

const skip = typeof globalThis.WebSocket !== "function" &&
  "no global WebSocket on this runtime (Node 20): attach needs Node ≥ 22 or the webSocket option";

/** Fast backoff on the real clock: the network here is real. Bounded by maxElapsedMs. */
const FAST = { initialDelayMs: 5, maxDelayMs: 20, maxElapsedMs: 20_000, silenceMs: 0 };

async function setup() {
  const server = await serve(createEmulator());
  const proxy = await startTcpProxy(server.port);
  const events: SandgateEvent[] = [];
  const viaProxy = new Tensorlake({
    apiKey: "tl_apiKey_test",
    proxyUrl: proxy.url,
    onEvent: (event) => events.push(event),
  }).sandbox("my-sandbox");
  const direct = new Tensorlake({ apiKey: "tl_apiKey_test", proxyUrl: server.url })
    .sandbox("my-sandbox");
  return {
    proxy,
    events,
    viaProxy,
    direct,
    /** Resolves at the `reconnecting` event of attempt `n`. */
    attempt: (n: number) => waitFor(events, (e) => e.type === "reconnecting" && e.attempt >= n),
    /**
     * Resets the connection and refuses new ones until `proxy.up()`; resolves once the first
     * re-attach has failed (the client is disconnected now).
     */
    async drop() {
      proxy.down();
      proxy.cut();
      await waitFor(events, (e) => e.type === "reconnecting" && e.attempt >= 2);
    },
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await server.close();
    },
  };
}

/** Resolves once an event matching `match` has been seen (bounded: 20 s of polling). */
async function waitFor(events: SandgateEvent[], match: (e: SandgateEvent) => boolean) {
  for (let i = 0; i < 2000; i++) {
    if (events.some(match)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no such event in ${JSON.stringify(events.map((e) => e.message))}`);
}

const count = (text: string, line: string) => text.split(/\r?\n/).filter((l) => l === line).length;

test(
  "a cut connection re-attaches: output carries on, input written meanwhile arrives once, in order, after the resize made meanwhile",
  {
    skip,
  },
  async () => {
    await using env = await setup();
    const pty = await env.viaProxy.createPty({ command: "bash" });
    const connection = await pty.attach({ reconnect: FAST });
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    await writer.write("echo before\r");
    // The output line, not the echoed command ("echo before\r\n" ends the same way): once it is
    // read, nothing of it can still be in flight when the connection is cut.
    let seen = await readUntil(reader, "\r\nbefore\r\n");

    await env.drop();
    await writer.write("echo during one\r");
    const resized = connection.resize({ cols: 101, rows: 33 });
    await writer.write("stty size\r");
    await writer.write("echo during two\r");
    env.proxy.up();
    await resized;
    seen += await readUntil(reader, "\r\nduring two\r\n");
    await writer.write("exit 5\r");
    seen += await readUntil(reader, "exit 5");

    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 5 });
    assert.equal(count(seen, "before"), 1);
    assert.equal(count(seen, "during one"), 1, "sent once");
    assert.equal(count(seen, "during two"), 1, "sent once");
    assert.ok(seen.indexOf("during one") < seen.indexOf("33 101"), "in order");
    assert.ok(seen.indexOf("33 101") < seen.indexOf("during two"), "the resize in its place");
    const types = env.events.map((e) => e.type).filter((t) => t.startsWith("reconnect"));
    assert.equal(types.at(-1), "reconnected");
    assert.equal(types.filter((t) => t === "reconnected").length, 1);
    // The same stream ends (not errors) after the exit.
    for (let i = 0; i < 100; i++) if ((await reader.read()).done) return;
    assert.fail("the output stream did not end after the exit");
  },
);

test(
  "write and onData across a drop: input written meanwhile arrives once, in order; the same listener carries on",
  {
    skip,
  },
  async () => {
    await using env = await setup();
    const pty = await env.viaProxy.createPty({ command: "bash" });
    const connection = await pty.attach({ reconnect: FAST });
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    connection.onData((bytes) => chunks.push(decoder.decode(bytes, { stream: true })));
    assert.throws(() => connection.output, TypeError);
    const seen = async (text: string) => {
      for (let i = 0; i < 2000 && !chunks.join("").includes(text); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(chunks.join("").includes(text), `no ${JSON.stringify(text)}`);
    };
    await connection.write("echo before\r");
    await seen("\r\nbefore\r\n");
    await env.drop();
    // Not awaited, one after another: queued while disconnected, sent in call order.
    const queued = [connection.write("echo during one\r"), connection.write("echo during two\r")];
    env.proxy.up();
    await Promise.all(queued);
    await seen("\r\nduring two\r\n");
    await connection.write("exit 6\r");
    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 6 });
    const all = chunks.join("");
    assert.equal(count(all, "during one"), 1, "sent once");
    assert.equal(count(all, "during two"), 1, "sent once");
    assert.ok(all.indexOf("during one") < all.indexOf("during two"), "in order");
    await assert.rejects(connection.write("late"), PtyDisconnectedError);
  },
);

test("the re-attaching connection keeps output while no listener is subscribed, for the next one", {
  skip,
}, async () => {
  await using env = await setup();
  const pty = await env.direct.createPty({ command: "bash" });
  const connection = await pty.attach({ reconnect: FAST });
  const decoder = new TextDecoder();
  let first = "";
  const off = connection.onData((bytes) => (first += decoder.decode(bytes, { stream: true })));
  await connection.write("echo one\r");
  for (let i = 0; i < 2000 && !first.includes("\r\none\r\n"); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  off();
  await connection.write("echo two\r");
  await connection.write("exit 4\r");
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 4 });
  assert.ok(!first.includes("\r\ntwo\r\n"), "nothing after the unsubscribe");
  let second = "";
  connection.onData((bytes) => (second += decoder.decode(bytes, { stream: true })));
  for (let i = 0; i < 2000 && !second.includes("\r\ntwo\r\n"); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.match(second, /\r\ntwo\r\n/, "kept for the next listener");
});

test("the re-attaching connection: output and onData are exclusive too", { skip }, async () => {
  await using env = await setup();
  const pty = await env.direct.createPty({ command: "bash" });
  const byStream = await pty.attach({ reconnect: FAST });
  void byStream.output;
  assert.throws(() => byStream.onData(() => {}), TypeError);
  await byStream.close();
});

test("a PTY killed while disconnected: exit settles once as killed", { skip }, async () => {
  await using env = await setup();
  const pty = await env.viaProxy.createPty({ command: "bash" });
  const connection = await pty.attach({ reconnect: FAST });
  await env.drop();
  await env.direct.killPty(pty.sessionId);
  env.proxy.up();
  assert.deepEqual(await connection.exit, { kind: "killed" });
  const done = await connection.output.getReader().read().catch((e) => e);
  assert.ok(!(done instanceof Error), "a kill ends the output, it does not error it");
});

test("a PTY that exited while disconnected: exit settles with its code", { skip }, async () => {
  await using env = await setup();
  const pty = await env.viaProxy.createPty({ command: "bash" });
  const connection = await pty.attach({ reconnect: FAST });
  await env.drop();
  // Another client (not through the broken proxy) ends the program.
  const other = await env.direct.attachPty(pty.sessionId, pty.token);
  await other.input.getWriter().write("exit 7\r");
  assert.deepEqual(await other.exit, { kind: "exited", exitCode: 7 });
  env.proxy.up();
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 7 });
});

test(
  "the budget runs out: disconnected, once, and the output stream errors",
  { skip },
  async () => {
    await using env = await setup();
    const pty = await env.viaProxy.createPty({ command: "bash" });
    const connection = await pty.attach({ reconnect: { ...FAST, maxElapsedMs: 150 } });
    const reader = connection.output.getReader();
    env.proxy.down();
    env.proxy.cut();
    const exit = await connection.exit;
    assert.equal(exit.kind, "disconnected");
    assert.ok(exit.kind === "disconnected" && exit.error instanceof PtyDisconnectedError);
    assert.match(
      (exit as { error: Error }).error.message,
      /gave up re-attaching after \d+ attempts/,
    );
    await assert.rejects(reader.read(), PtyDisconnectedError);
    await assert.rejects(connection.input.getWriter().write("x"), PtyDisconnectedError);
    env.proxy.up();
    assert.equal((await env.direct.getPty(pty.sessionId)).isAlive, true, "the PTY keeps running");
  },
);

test("close() while re-attaching stops the loop and detaches", { skip }, async () => {
  await using env = await setup();
  const pty = await env.viaProxy.createPty({ command: "bash" });
  const connection = await pty.attach({ reconnect: FAST });
  await env.drop();
  await connection.close();
  const used = env.proxy.used;
  const exit = await connection.exit;
  assert.ok(exit.kind === "disconnected" && (exit.error as PtyDisconnectedError).byClient);
  const attempts = env.events.filter((e) => e.type === "reconnecting").length;
  env.proxy.up();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(env.events.filter((e) => e.type === "reconnecting").length, attempts, "stopped");
  assert.equal(env.proxy.used, used, "nothing sent after close");
});

test(
  "a half-open connection (no byte either way) is taken as dropped after silenceMs of unanswered input",
  {
    skip,
  },
  async () => {
    await using env = await setup();
    const pty = await env.viaProxy.createPty({ command: "bash" });
    const connection = await pty.attach({ reconnect: { ...FAST, silenceMs: 200 } });
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    await writer.write("echo alive\r");
    // The whole answer (the prompt after it): nothing of it may arrive after the freeze.
    await readUntil(reader, "\r\nalive\r\n$ ");
    env.proxy.freeze(); // the old connection stays open but carries nothing
    await writer.write("echo after freeze\r"); // taken by the dead socket: may be lost, not doubled
    await env.attempt(1);
    await writer.write("echo after silence\r");
    const seen = await readUntil(reader, "after silence\r\n");
    assert.ok(count(seen, "after freeze") <= 1);
    await writer.write("exit 0\r");
    assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 0 });
    const reason = env.events.find((e) => e.type === "reconnecting") as { reason: string };
    assert.match(reason.reason, /no answer for 200 ms after input/);
  },
);

test("without reconnect a cut connection is disconnected, as before", { skip }, async () => {
  await using env = await setup();
  const pty = await env.viaProxy.createPty({ command: "bash" });
  const connection = await pty.attach();
  env.proxy.cut();
  const exit = await connection.exit;
  assert.equal(exit.kind, "disconnected");
  assert.equal(env.events.filter((e) => e.type === "reconnecting").length, 0);
});

test("the reconnect option is checked before anything is sent", async () => {
  const sandbox = new Tensorlake({
    apiKey: "k",
    fetch: () => Promise.reject(new Error("nothing may be sent")),
  }).sandbox("sb");
  const field = (name: string) => (error: unknown) =>
    error instanceof InvalidArgumentError && error.message.includes(name);
  await assert.rejects(
    sandbox.attachPty("s1", "tok", { reconnect: "yes" as never }),
    field("options.reconnect"),
  );
  await assert.rejects(
    sandbox.attachPty("s1", "tok", { reconnect: { maxElapsed: 5 } as never }),
    field("options.reconnect.maxElapsed"),
  );
  await assert.rejects(
    sandbox.attachPty("s1", "tok", { reconnect: { maxDelayMs: 0 } }),
    field("options.reconnect.maxDelayMs"),
  );
  await assert.rejects(
    sandbox.openPty({ command: "sh", reconnect: { silenceMs: -1 } }),
    field("options.reconnect.silenceMs"),
  );
});
