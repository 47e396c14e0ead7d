/**
 * Secret hygiene: distinctive API keys and the tokens the emulator hands out
 * (SSH session `token`, PTY `token`) never show up in any error's message,
 * stack, `cause` chain, `String()`, `JSON.stringify` or inspect output, nor in
 * handles, clients, commands or callback payloads. Where `Authorization` and the session token
 * may go: key_origin_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  MissingApiKeyError,
  PrimeIntellect,
  SandgateError,
  Tensorlake,
  type WebSocketFactory,
  type WebSocketLike,
} from "../../mod.ts";
import { createEmulator, FAULT_KINDS, type FaultKind } from "../../src/testing/mod.ts";
import { SECRET_API_KEY, SECRET_API_KEY_2, SecretScanner } from "../helpers/secrets.ts";
import { FakeClock } from "../../src/testing/time.ts";

// Node 20 has no Symbol.asyncDispose; sandgate's handles then use the registered symbol.
const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHygiene hygiene@test";
const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA-SECRET-PRIVATE\n" +
  "-----END OPENSSH PRIVATE KEY-----\n";

test("the scanner finds a planted secret in a cause chain, JSON and inspect output", async () => {
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY });
  const inner = Object.assign(new Error("inner"), { header: `Bearer ${SECRET_API_KEY}` });
  await scanner.scan(new SandgateError("outer", { cause: inner }), "planted");
  const hows = new Set(scanner.leaks.map((l) => l.how));
  assert.ok(hows.has("JSON.stringify(cause[1])"), [...hows].join(", "));
  assert.ok([...hows].some((h) => h.includes("inspect")), [...hows].join(", "));
  // Truncation does not hide a secret: its first 16 characters count too.
  const truncated = new SecretScanner({ apiKey: SECRET_API_KEY });
  await truncated.scan(new Error(`key ${SECRET_API_KEY.slice(0, 20)}...`), "truncated");
  assert.equal(truncated.leaks.length > 0, true);
  const clean = new SecretScanner({ apiKey: SECRET_API_KEY });
  await clean.scan(new SandgateError("nothing here", { cause: new Error("still nothing") }), "c");
  clean.assertClean();
});

// The client-side limiter's budget is per (origin, key, sandbox) and shared by
// clients in this process, so every test below uses sandboxes of its own.

/** Runs every high-level operation under every fault kind and collects what they produce. */
async function exerciseEverything(scanner: SecretScanner): Promise<number> {
  const clock = new FakeClock(undefined, { autoAdvance: true });
  let kindIndex = 0;
  let faultsOn = true;
  const emulator = createEmulator({
    clock,
    apiKeys: [SECRET_API_KEY],
    faults: {
      slowMs: 100,
      decide: ({ api, request }) => {
        if (!faultsOn || api === "unknown") return null;
        // The sandbox lookup before the first port or SSH call (the VM check) is not in the
        // cycle: the faults land on the calls they were planned for.
        if (/^\/api\/v1\/sandbox\/[^/]+$/.test(new URL(request.url).pathname)) return null;
        // Cycle through every kind, with clean requests in between.
        const i = kindIndex++;
        return i % 2 === 0 ? null : FAULT_KINDS[(i >> 1) % FAULT_KINDS.length] as FaultKind;
      },
    },
  });
  const fetch = async (request: Request) => {
    const response = await emulator.fetch(request);
    try {
      const body = await response.clone().json() as { token?: unknown };
      if (typeof body.token === "string") {
        scanner.add(`token ${body.token.slice(0, 4)}`, body.token);
      }
    } catch { /* not JSON */ }
    return response;
  };
  const produced: [unknown, string][] = [];
  const options = {
    apiKey: SECRET_API_KEY,
    fetch,
    clock,
    onRetry: (info: unknown) => void produced.push([info, "onRetry info"]),
    onRateLimit: (info: unknown) => void produced.push([info, "onRateLimit info"]),
    rateLimit: { limit: 5, windowMs: 1_000 },
  };
  const prime = new PrimeIntellect(options);
  const tensorlake = new Tensorlake(options);
  const pi = prime.sandbox("hygiene-1");
  const tl = tensorlake.sandbox("hygiene-1");
  produced.push([prime, "PrimeIntellect client"], [tensorlake, "Tensorlake client"]);
  produced.push([pi, "Prime sandbox handle"], [tl, "Tensorlake sandbox handle"]);

  const attempt = async (label: string, run: () => Promise<unknown>) => {
    try {
      const value = await run();
      produced.push([value, `result of ${label}`]);
      return value;
    } catch (error) {
      produced.push([error, `error from ${label}`]);
      // The caller's own key provider failing is the caller's error, handed back as it is.
      const own = label === "throwing key provider" &&
        (error as Error).message === "vault unavailable";
      assert.ok(error instanceof SandgateError || own, `${label}: ${String(error)}`);
      return undefined;
    }
  };

  for (let round = 0; round < FAULT_KINDS.length * 2; round++) {
    const exposure = await attempt("exposePort", () => pi.exposePort({ port: 8000, name: "web" }));
    await attempt("listExposures", () => pi.listExposures());
    if (exposure) {
      await attempt(
        "unexpose",
        async () => await (exposure as AsyncDisposable)[ASYNC_DISPOSE](),
      );
    }
    const session = await attempt(
      "createSshSession",
      () => pi.createSshSession({ ttlSeconds: 600 }),
    );
    if (session) {
      const s = session as Awaited<ReturnType<typeof pi.createSshSession>>;
      produced.push([s.sshCommand({ identityFile: "/keys/id" }), "sshCommand"]);
      await attempt("authorizeKey", () => s.authorizeKey(PUBLIC_KEY));
      await attempt("close", () => s.close());
    }
    const pty = await attempt(
      "createPty",
      () => tl.createPty({ command: "bash", env: { SECRET_ENV: SECRET_API_KEY_2 } }),
    );
    if (pty) {
      const p = pty as Awaited<ReturnType<typeof tl.createPty>>;
      await attempt("resizePty", () => tl.resizePty(p.sessionId, { rows: 40, cols: 120 }));
      await attempt("getPty", () => tl.getPty(p.sessionId));
      await attempt("listPtys", () => tl.listPtys());
      await attempt("killPty", () => p.kill());
    }
    await attempt("killPty unknown", () => tl.killPty("nope", { strict: true }));
  }
  faultsOn = false;
  // Errors carrying secrets as input: a private key passed as a public key, env values.
  const session = await pi.createSshSession();
  scanner.add("ssh token (handle)", session.token);
  produced.push([session, "SSH session handle"]);
  await attempt("authorizeKey(private key)", () => session.authorizeKey(PRIVATE_KEY));
  await attempt(
    "createPty(bad env)",
    () => tl.createPty({ command: "sh", env: { OK: SECRET_API_KEY_2, "BAD=": SECRET_API_KEY_2 } }),
  );
  await attempt(
    "createPty(NUL env value)",
    () => tl.createPty({ command: "sh", env: { TOKEN: `${SECRET_API_KEY_2}\0` } }),
  );
  const pty = await tl.createPty({ command: "bash" });
  scanner.add("pty token (handle)", pty.token);
  produced.push([pty, "PTY handle"]);
  await session.close();
  await pty.kill();
  // A wrong key, a key provider that throws, a missing key.
  const wrong = new PrimeIntellect({ apiKey: SECRET_API_KEY_2, fetch, clock }).sandbox("x");
  await attempt("wrong key", () => wrong.listExposures());
  const throwing = new PrimeIntellect({
    apiKey: () => {
      throw new Error("vault unavailable");
    },
    fetch,
    clock,
  }).sandbox("x");
  await attempt("throwing key provider", () => throwing.listExposures());
  produced.push([new MissingApiKeyError("primeintellect", "PRIME_API_KEY"), "MissingApiKeyError"]);

  for (const [value, label] of produced) await scanner.scan(value, label);
  clock.close();
  return produced.length;
}

test("no secret in any error, cause chain, handle, client or callback payload", async () => {
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY, apiKey2: SECRET_API_KEY_2 });
  scanner.add("private key", "b3BlbnNzaC1rZXktdjEAAAAA-SECRET-PRIVATE");
  const count = await exerciseEverything(scanner);
  assert.ok(count > 100, `only ${count} values produced`);
  assert.ok(scanner.size >= 6, `tokens were learned: ${scanner.size} secrets`);
  scanner.assertClean();
});

function echoingFetch(prefix: string) {
  return (request: Request) => {
    const key = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    return Promise.resolve(
      Response.json(
        { detail: `invalid token ${prefix}${key}`, code: "BAD_KEY" },
        { status: 401, headers: { "x-echo": `${prefix}${key}` } },
      ),
    );
  };
}

test("BUG: a server echoing the API key (with or without Bearer): message, String() and stack stay clean", async () => {
  for (const prefix of ["Bearer ", ""]) {
    const prime = new PrimeIntellect({ apiKey: SECRET_API_KEY, fetch: echoingFetch(prefix) });
    const error = await prime.sandbox("hyg-echo-1").listExposures().then(() => undefined, (e) => e);
    assert.ok(error instanceof SandgateError);
    for (const text of [error.message, String(error), error.stack ?? ""]) {
      assert.ok(!text.includes(SECRET_API_KEY), `${JSON.stringify(prefix)}: ${text}`);
    }
  }
});

test("BUG: a server echoing the API key: not in the error's body, headers, JSON or inspect output either", async () => {
  for (const prefix of ["Bearer ", ""]) {
    const scanner = new SecretScanner({ apiKey: SECRET_API_KEY });
    const prime = new PrimeIntellect({ apiKey: SECRET_API_KEY, fetch: echoingFetch(prefix) });
    const error = await prime.sandbox("hyg-echo-2").listExposures().then(() => undefined, (e) => e);
    assert.ok(error instanceof SandgateError);
    await scanner.scan(error, `401 echoing the key after ${JSON.stringify(prefix)}`);
    scanner.assertClean();
  }
});

/** A WebSocket that opens, then closes with `reason(url)`: a gateway echoing what it got. */
function echoingWebSocket(reason: (url: string, headers: Record<string, string>) => string) {
  return (url: string, init: { headers: Record<string, string> }): WebSocketLike => {
    const listeners = new Map<string, ((event: unknown) => void)[]>();
    const emit = (type: string, event: unknown) => {
      for (const listener of listeners.get(type) ?? []) listener(event);
    };
    const socket = {
      readyState: 0,
      bufferedAmount: 0,
      binaryType: "blob",
      send() {},
      close() {
        socket.readyState = 3;
      },
      addEventListener(type: string, listener: (event: never) => void) {
        listeners.set(type, [...(listeners.get(type) ?? []), listener as (e: unknown) => void]);
      },
    };
    setTimeout(() => {
      socket.readyState = 1;
      emit("open", {});
      emit("message", { data: new TextEncoder().encode(`\x00echo ${url}`).buffer });
      socket.readyState = 3;
      emit("close", { code: 4001, reason: reason(url, init.headers).slice(0, 123) });
    }, 0);
    return socket;
  };
}

test("the PTY token never reaches what attach, attachPty and openPty produce", async () => {
  const scanner = new SecretScanner({ apiKey: SECRET_API_KEY });
  const made = "pty-SECRET-made-up-token-5Wq8";
  scanner.add("made-up pty token", made);
  const emulator = createEmulator({ apiKeys: [SECRET_API_KEY] });
  const tl = new Tensorlake({
    apiKey: SECRET_API_KEY,
    fetch: emulator.fetch,
    webSocket: emulator.webSocket,
  }).sandbox("sb-hygiene-attach");
  const produced: [unknown, string][] = [];
  const outcome = async (label: string, run: () => Promise<unknown>) => {
    try {
      produced.push([await run(), `${label} (value)`]);
    } catch (error) {
      produced.push([error, `${label} (error)`]);
    }
  };

  // Create + attach, exit, input after the exit.
  const connection = await tl.openPty({ command: "bash" });
  produced.push([connection, "openPty connection"]);
  const writer = connection.input.getWriter();
  await writer.write("exit 3\n");
  produced.push([await connection.exit, "exit"]);
  await outcome("write after exit", () => writer.write("late"));
  await outcome("resize after exit", () => connection.resize({ cols: 1, rows: 1 }));
  await connection[ASYNC_DISPOSE]();

  // Attach, kill, detach by abort.
  const pty = await tl.createPty({ command: "bash" });
  scanner.add("pty token", pty.token);
  const killed = await pty.attach();
  await pty.kill();
  produced.push([await killed.exit, "killed exit"]);
  await outcome("attach after kill", () => pty.attach());
  const second = await tl.createPty({ command: "bash" });
  scanner.add("pty token 2", second.token);
  const controller = new AbortController();
  const aborted = await tl.attachPty(second.sessionId, second.token, { signal: controller.signal });
  controller.abort(new Error("user gave up"));
  produced.push([await aborted.exit, "aborted exit"]);
  await outcome("wrong token", () => tl.attachPty(second.sessionId, made));
  await outcome("unknown session", () => tl.attachPty("no-such-session", made));
  await outcome("bad options", () => tl.attachPty(second.sessionId, made, { timeoutMs: -1 }));
  await outcome("token with a space", () => tl.attachPty(second.sessionId, `${made} x`));
  await second.kill();

  // Hostile WebSockets: a close reason and output echoing the URL and headers, a
  // constructor that throws quoting them, one that never opens.
  const hostile = (webSocket: WebSocketFactory) =>
    new Tensorlake({ apiKey: SECRET_API_KEY, fetch: emulator.fetch, webSocket })
      .sandbox("sb-hygiene-attach");
  const echoed = await hostile(echoingWebSocket((url, h) => `${url} ${JSON.stringify(h)}`))
    .attachPty("sess-echo", made);
  produced.push([await echoed.exit, "exit of a close reason quoting the URL"]);
  const read = await echoed.output.getReader().read().catch((error: unknown) => error);
  produced.push([read, "output of the echoing socket"]);
  const tokenOnly = await hostile(echoingWebSocket(() => `refused ${made}`))
    .attachPty("sess-echo", made);
  produced.push([await tokenOnly.exit, "exit of a close reason quoting the token"]);
  await outcome("constructor quoting the URL", () =>
    hostile((url, init) => {
      throw Object.assign(new TypeError(`bad URL ${url}`), { init });
    }).attachPty("sess-throw", made));
  await outcome("openPty with a throwing constructor", () =>
    hostile((url) => {
      throw new Error(`cannot reach ${url}`);
    }).openPty({ command: "bash" }));
  const never: WebSocketFactory = () => ({
    readyState: 0,
    bufferedAmount: 0,
    binaryType: "blob",
    send() {},
    close() {},
    addEventListener() {},
  });
  await outcome("timeout", () => hostile(never).attachPty("sess-never", made, { timeoutMs: 20 }));

  for (const [value, label] of produced) await scanner.scan(value, label);
  assert.ok(produced.length >= 17, `${produced.length} values`);
  scanner.assertClean();
});
