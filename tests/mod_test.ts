/**
 * The public surface and the first-hour traps of issue 15: what the root
 * entry exports, error names and cross-copy guards, typed 403s, client-side
 * refusals, messages that say what to do, unknown options, handles that
 * remember their state, progress and debug events, and the User-Agent.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as sandgate from "../mod.ts";
import {
  ApiError,
  ConfigError,
  ForbiddenError,
  InvalidArgumentError,
  isApiError,
  isSandgateError,
  NotFoundError,
  PrimeIntellect,
  RateLimitedError,
  SandgateError,
  type SandgateEvent,
  Tensorlake,
  VERSION,
} from "../mod.ts";
import { createPrimeIntellectClient, createTensorlakeClient } from "../mod.ts";
import { MissingApiKeyError } from "../src/errors.ts";
import { missingKeyAdvice } from "../src/env.ts";
import { didYouMean } from "../src/options.ts";
import { FakeClock } from "../src/testing/time.ts";
import { flush } from "./helpers/flush.ts";
import {
  answeringLookups,
  exposeBody,
  noContent,
  prime,
  PTY_TOKEN,
  ptyInfoBody,
  recordingFetch,
  sshBody,
  tensorlake,
  unexposeBody,
} from "./helpers/fake_fetch.ts";

const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop";

/** Every value the root entry exports: a change here is a semver decision. */
const ROOT_VALUES = [
  "ApiError",
  "AuthenticationError",
  "ConfigError",
  "ForbiddenError",
  "InvalidArgumentError",
  "MissingApiKeyError",
  "NetworkError",
  "NotFoundError",
  "PrimeIntellect",
  "PtyDisconnectedError",
  "RateLimitStoreError",
  "RateLimitedError",
  "SandgateError",
  "ServerError",
  "Tensorlake",
  "TimeoutError",
  "UnexpectedResponseError",
  "UnsupportedRuntimeError",
  "VERSION",
  "ValidationError",
  "createMemoryRateLimitStore",
  "createPrimeIntellectClient",
  "createPtyHandler",
  "createTensorlakeClient",
  "isApiError",
  "isSandgateError",
];

test("the root entry exports only the user API", () => {
  assert.deepEqual(Object.keys(sandgate).sort(), [...ROOT_VALUES].sort());
});

test("error names are literal: they do not come from the (minifiable) class name", () => {
  for (const name of ROOT_VALUES.filter((n) => /^[A-Z]\w*Error$/.test(n))) {
    const Class = (sandgate as unknown as Record<string, { prototype: object }>)[name]!;
    assert.equal(Object.getOwnPropertyDescriptor(Class.prototype, "name")?.value, name);
  }
  const error = new NotFoundError({ status: 404, provider: "tensorlake", operation: "getPty" });
  assert.equal(error.name, "NotFoundError");
  assert.match(String(error.stack), /^NotFoundError: /);
});

test("guards and instanceof recognise errors of another copy of sandgate", () => {
  // What a second copy (the CommonJS build next to the ESM one) produces: its
  // own classes with the same literal names and the registered brand symbols.
  const brand = Symbol.for("sandgate.error");
  const apiBrand = Symbol.for("sandgate.apiError");
  class OtherSandgateError extends Error {}
  Object.defineProperty(OtherSandgateError.prototype, "name", { value: "SandgateError" });
  Object.defineProperty(OtherSandgateError.prototype, brand, { value: true });
  class OtherApiError extends OtherSandgateError {}
  Object.defineProperty(OtherApiError.prototype, "name", { value: "ApiError" });
  Object.defineProperty(OtherApiError.prototype, apiBrand, { value: true });
  class OtherNotFound extends OtherApiError {}
  Object.defineProperty(OtherNotFound.prototype, "name", { value: "NotFoundError" });
  const foreign = new OtherNotFound("gone");

  assert.equal(isSandgateError(foreign), true);
  assert.equal(isApiError(foreign), true);
  assert.ok(foreign instanceof SandgateError);
  assert.ok(foreign instanceof ApiError);
  assert.ok(foreign instanceof NotFoundError);
  assert.ok(!(foreign instanceof RateLimitedError));
  assert.ok(!(foreign instanceof ConfigError));

  // A user's own subclass keeps plain instanceof semantics.
  class MyError extends SandgateError {}
  assert.ok(new MyError("mine") instanceof MyError);
  assert.ok(!(new ConfigError("x") instanceof MyError));
  assert.ok(!(foreign instanceof MyError));
  assert.ok(new MyError("mine") instanceof SandgateError);
  assert.equal(new MyError("mine").name, "MyError");

  assert.equal(isSandgateError(new Error("x")), false);
  assert.equal(isSandgateError({ name: "NotFoundError" }), false);
  assert.equal(isApiError(new ConfigError("x")), false);
  assert.ok(!(new Error("x") instanceof SandgateError));
});

test("403 is a ForbiddenError, not an AuthenticationError", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({ detail: "Not allowed for this team" }, { status: 403 })
  );
  const error = await prime(fetch).sandbox("sb-1").listExposures().catch((e) => e);
  assert.ok(error instanceof ForbiddenError, String(error));
  assert.ok(!(error instanceof sandgate.AuthenticationError));
  assert.equal(error.status, 403);
  assert.equal(error.source, "server");
  assert.equal(error.name, "ForbiddenError");
});

test("a client-side rate-limit refusal says source: client; a server 429 says server", async () => {
  const clock = new FakeClock();
  const { requests, fetch } = recordingFetch(() => Response.json({ exposures: [] }));
  const client = new PrimeIntellect({
    apiKey: "k-client-refusal",
    fetch: answeringLookups(fetch),
    clock,
    retry: false,
    // One call for the sandbox lookup (sent once, before the first listing), one for the listing.
    rateLimit: { limit: 2, windowMs: 60_000, maxWaitMs: 1_000 },
  });
  const sandbox = client.sandbox("sb-1");
  await sandbox.listExposures();
  const refused = await sandbox.listExposures().catch((e) => e);
  assert.ok(refused instanceof RateLimitedError, String(refused));
  assert.equal(refused.source, "client");
  assert.equal(requests.length, 1, "nothing was sent for the refused call");

  const server = recordingFetch(() =>
    Response.json({ detail: "Rate limit exceeded" }, { status: 429 })
  );
  const error = await prime(server.fetch).sandbox("sb-1").listExposures().catch((e) => e);
  assert.ok(error instanceof RateLimitedError);
  assert.equal(error.source, "server");
});

test("a missing key says what to do on Deno without --allow-env, on Workers, and elsewhere", () => {
  const denied = {
    Deno: {
      permissions: { querySync: () => ({ state: "prompt" }) },
      env: { get: () => undefined },
    },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", denied), /--allow-env=PRIME_API_KEY/);
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", denied), /set the/);
  const granted = { Deno: { permissions: { querySync: () => ({ state: "granted" }) } } };
  assert.match(missingKeyAdvice("PRIME_API_KEY", granted), /set the PRIME_API_KEY environment/);
  const workers = { navigator: { userAgent: "Cloudflare-Workers" } };
  assert.match(missingKeyAdvice("TENSORLAKE_API_KEY", workers), /apiKey: env\.TENSORLAKE_API_KEY/);
  const node = { process: { env: {} } };
  assert.match(missingKeyAdvice("PRIME_API_KEY", node), /`apiKey` option or set the PRIME_API_KEY/);
  const error = new MissingApiKeyError("primeintellect", "PRIME_API_KEY");
  assert.match(error.message, /^Prime Intellect: no API key: /);
});

test("a missing Prime key names ~/.prime/config.json (`prime login`) where that file is read", async () => {
  const file = { path: "~/.prime/config.json", writtenBy: "prime login" };
  // Node ≥ 20.16 and Bun (process.getBuiltinModule), Deno (readTextFileSync): the file is read.
  const node = { process: { env: {}, getBuiltinModule: () => undefined } };
  assert.match(
    missingKeyAdvice("PRIME_API_KEY", node, file),
    /set the PRIME_API_KEY environment variable, or run `prime login` \(it writes ~\/\.prime\/config\.json/,
  );
  const deno = {
    Deno: { permissions: { querySync: () => ({ state: "granted" }) }, readTextFileSync() {} },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", deno, file), /`prime login`/);
  const denied = {
    Deno: { permissions: { querySync: () => ({ state: "prompt" }) }, readTextFileSync() {} },
  };
  assert.match(missingKeyAdvice("PRIME_API_KEY", denied, file), /--allow-env=PRIME_API_KEY/);
  assert.match(
    missingKeyAdvice("PRIME_API_KEY", denied, file),
    /config\.json is read with --allow-env=HOME --allow-read/,
  );
  // Edge (no file system): never read there, so never suggested.
  const workers = { navigator: { userAgent: "Cloudflare-Workers" } };
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", workers, file), /prime login|config\.json/);
  // A Node without process.getBuiltinModule (older than 20.16) does not read it either.
  assert.doesNotMatch(missingKeyAdvice("PRIME_API_KEY", { process: { env: {} } }, file), /config/);
  // The error a client throws, on this runtime (Deno, Node ≥ 20.16, Bun all read the file):
  // the file is Prime Intellect's to name (its profile), not the error class's.
  const unsent = recordingFetch(() => noContent());
  const primeError = await createPrimeIntellectClient({ apiKey: "", fetch: unsent.fetch })
    .GET("/api/v1/sandbox/expose/all").catch((e) => e);
  assert.ok(primeError instanceof MissingApiKeyError, String(primeError));
  assert.match(primeError.message, /`prime login` \(it writes ~\/\.prime\/config\.json/);
  // Tensorlake has no such file.
  const tensorlakeError = await createTensorlakeClient({
    apiKey: "",
    baseUrl: "http://localhost",
    fetch: unsent.fetch,
  }).GET("/api/v1/pty").catch((e) => e);
  assert.ok(tensorlakeError instanceof MissingApiKeyError, String(tensorlakeError));
  assert.doesNotMatch(tensorlakeError.message, /config\.json|login/);
  assert.equal(unsent.requests.length, 0, "nothing is sent without a key");
});

test("a base URL on new Tensorlake() points to proxyUrl", () => {
  for (const key of ["baseURL", "baseurl", "url"]) {
    assert.throws(
      () => new Tensorlake({ [key]: "http://127.0.0.1:1" } as never),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(
          error.message,
          new RegExp(`options\\.${key}: unknown option; did you mean \`proxyUrl\`\\?`),
        );
        return true;
      },
    );
  }
  assert.throws(
    () => new Tensorlake({ baseUrl: "http://127.0.0.1:1" } as never),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.match(error.message, /^options\.baseUrl: is per sandbox: .*; did you mean `proxyUrl`/);
      return true;
    },
  );
  // Where a baseUrl exists, baseURL still points to it.
  assert.throws(() => new PrimeIntellect({ baseURL: "x" } as never), /did you mean `baseUrl`\?/);
});

test("unknown constructor options are a ConfigError with a did-you-mean", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ timeout: 5000 }, /options\.timeout: unknown option; did you mean `timeoutMs`\?/],
    [{ retries: 2 }, /options\.retries: unknown option; did you mean `retry: \{ retries \}`\?/],
    [
      { baseURL: "http://127.0.0.1:1" },
      /options\.baseURL: unknown option; did you mean `baseUrl`\?/,
    ],
    [{ apikey: "k" }, /options\.apikey: unknown option; did you mean `apiKey`\?/],
    [
      { rateLimit: { limt: 5 } },
      /options\.rateLimit\.limt: unknown option; did you mean `limit`\?/,
    ],
    [
      { retry: { retires: 5 } },
      /options\.retry\.retires: unknown option; did you mean `retries`\?/,
    ],
    [{ zzz: 1 }, /options\.zzz: unknown option \(known: apiKey, /],
  ];
  const makers: [string, (options: never) => unknown][] = [
    ["new PrimeIntellect", (o) => new PrimeIntellect(o)],
    ["new Tensorlake", (o) => new Tensorlake(o)],
    ["createPrimeIntellectClient", (o) => createPrimeIntellectClient(o)],
    [
      "createTensorlakeClient",
      (o) => createTensorlakeClient({ sandbox: "sb", ...(o as object) } as never),
    ],
  ];
  for (const [label, make] of makers) {
    for (const [options, message] of cases) {
      // `new Tensorlake` takes no baseUrl (it is per sandbox): its proxyUrl is suggested.
      const expected = label === "new Tensorlake" && "baseURL" in options
        ? /options\.baseURL: unknown option; did you mean `proxyUrl`\?/
        : message;
      assert.throws(() => make(options as never), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `${label} ${JSON.stringify(options)}: ${error}`);
        assert.match(error.message, expected, label);
        return true;
      });
    }
  }
  // The known ones still work, and Tensorlake's own.
  new Tensorlake({ apiKey: "k", proxyUrl: "https://sandbox.tensorlake.ai", debug: false });
  assert.equal(didYouMean("proxyURL", ["proxyUrl"]), "proxyUrl");
});

test("a killed PTY and a closed session answer locally; strict second close is NotFoundError", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.method === "DELETE"
      ? noContent()
      : Response.json({ session_id: "pty-1", token: PTY_TOKEN })
  );
  const pty = await tensorlake(fetch).sandbox("sb").createPty({ command: "bash" });
  assert.equal(pty.killed, false);
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  assert.equal(pty.killed, true);
  const sent = requests.length;
  assert.deepEqual(await pty.kill(), { alreadyGone: false }, "non-strict reuses the result");
  for (
    const call of [
      () => pty.kill({ strict: true }),
      () => pty.resize({ rows: 2, cols: 2 }),
      () => pty.info(),
    ]
  ) {
    const error = await call().catch((e) => e);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.equal(error.source, "client");
    assert.match(error.message, /PTY session pty-1 was already cleaned up by this handle/);
  }
  assert.equal(requests.length, sent, "no round trip after the kill");

  const ssh = recordingFetch((request) =>
    request.method === "DELETE" ? Response.json(unexposeBody()) : Response.json(sshBody())
  );
  const session = await prime(ssh.fetch).sandbox("sb-1").createSshSession();
  await session.close();
  const closedAt = ssh.requests.length;
  assert.throws(() => session.sshCommand({ identityFile: "id" }), NotFoundError);
  await assert.rejects(session.authorizeKey(SSH_KEY), NotFoundError);
  await assert.rejects(session.close({ strict: true }), NotFoundError);
  assert.equal(ssh.requests.length, closedAt);

  const exp = recordingFetch((request) =>
    request.method === "DELETE" ? Response.json(unexposeBody()) : Response.json(exposeBody())
  );
  const exposure = await prime(exp.fetch).sandbox("sb-1").exposePort({ port: 8000 });
  await exposure.unexpose();
  await assert.rejects(exposure.unexpose({ strict: true }), NotFoundError);
  assert.equal(exp.requests.length, 2);
});

test("listed exposures and PTYs clean up directly", async () => {
  const exp = recordingFetch((request) =>
    request.method === "DELETE"
      ? Response.json(unexposeBody())
      : Response.json({ exposures: [{ ...exposeBody(), created_at: "2026-05-01T12:00:00Z" }] })
  );
  const [listed] = await prime(exp.fetch).sandbox("sb-1").listExposures();
  assert.ok(listed);
  assert.equal(listed.createdAt?.toISOString(), "2026-05-01T12:00:00.000Z");
  assert.deepEqual(await listed.unexpose(), { alreadyGone: false });
  assert.equal(exp.requests.at(-1)?.method, "DELETE");
  assert.match(exp.requests.at(-1)!.url, /\/sb-1\/expose\/exp-123$/);

  const pty = recordingFetch((request) =>
    request.method === "DELETE" ? noContent() : Response.json({ sessions: [ptyInfoBody()] })
  );
  const [session] = await tensorlake(pty.fetch).sandbox("sb").listPtys();
  assert.ok(session);
  assert.equal(JSON.stringify(session).includes("kill"), false, "kill is not a data field");
  assert.deepEqual(await session.kill(), { alreadyGone: false });
  assert.equal(pty.requests.at(-1)?.method, "DELETE");
  assert.match(pty.requests.at(-1)!.url, /\/api\/v1\/pty\/pty-1$/);
});

test("every request carries User-Agent sandgate/<version> <runtime>", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    new URL(request.url).pathname.endsWith("/authorize")
      ? new Response(null, { status: 204 })
      : Response.json(sshBody())
  );
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  await session.authorizeKey(SSH_KEY);
  const pty = recordingFetch(() => Response.json({ sessions: [] }));
  await tensorlake(pty.fetch).sandbox("sb").listPtys();
  const agents = [...requests, ...pty.requests].map((r) => r.headers.get("user-agent"));
  assert.equal(agents.length, 3);
  for (const agent of agents) {
    assert.match(String(agent), /^sandgate\/\d+\.\d+\.\d+\S* (deno|node|bun)\/\d+\.\d+/);
    assert.ok(String(agent).startsWith(`sandgate/${VERSION} `));
  }
});

test("onEvent reports requests, retries and a long rate-limit wait with progress; debug prints them", async () => {
  const clock = new FakeClock();
  const events: SandgateEvent[] = [];
  let calls = 0;
  const { fetch: answer } = recordingFetch(() =>
    ++calls === 1
      ? Response.json({ detail: "busy" }, { status: 503 })
      : Response.json({ exposures: [] })
  );
  const fetch = answeringLookups(answer);
  const printed: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void printed.push(args.join(" "));
  try {
    const client = new PrimeIntellect({
      apiKey: "sk-debug-secret-key-0001",
      fetch,
      clock,
      timeoutMs: Infinity,
      retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      rateLimit: { limit: 3, windowMs: 30_000, marginMs: 0 },
      onEvent: (event) => events.push(event),
      debug: true,
    });
    const sandbox = client.sandbox("sb-1");
    // The sandbox lookup sandgate sends once before the first listing (the VM check) takes
    // one call of the window; what follows is about the listings.
    const lookup = sandbox.info();
    await clock.runAllAsync();
    await lookup;
    events.length = 0;
    printed.length = 0;
    // Two attempts (503, then 200) use the window; the next call waits ~30 s.
    const first = sandbox.listExposures();
    await clock.runAllAsync();
    await first;
    const second = sandbox.listExposures();
    await clock.runAllAsync();
    await second;
    await flush();
  } finally {
    console.error = original;
  }
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 5), ["request", "response", "retry", "request", "response"]);
  const waits = events.filter((e) => e.type === "rate-limit");
  assert.ok(waits.length >= 5, `start + progress every 5 s of a ~30 s wait: ${waits.length}`);
  assert.equal(waits[0]!.elapsedMs, 0);
  assert.ok(waits[0]!.waitMs > 25_000);
  assert.deepEqual(
    waits.slice(1).map((w) => w.elapsedMs),
    waits.slice(1).map((_, i) => (i + 1) * 5000),
  );
  assert.equal(events.at(-1)?.type, "response");
  assert.equal(printed.length, events.length);
  assert.ok(printed.every((line) => line.startsWith("[sandgate] ")));
  assert.ok(printed.some((line) => /still waiting, .* left/.test(line)));
  assert.ok(!printed.join("\n").includes("sk-debug-secret-key-0001"), "no key in debug output");
});
