/**
 * The public surface and the first-hour traps of issue 15: what the root
 * entry exports, error names and cross-copy guards, typed 403s, client-side
 * refusals, handles that remember their state, and the User-Agent. Messages for a missing key:
 * env_test.ts; unknown options: options_test.ts; progress and debug events: events_test.ts.
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
  isApiError,
  isSandgateError,
  NotFoundError,
  PrimeIntellect,
  RateLimitedError,
  SandgateError,
  VERSION,
} from "../mod.ts";
import { FakeClock } from "../src/testing/time.ts";
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
