import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthenticationError,
  type Clock,
  InvalidArgumentError,
  NotFoundError,
  PrimeIntellect,
  ServerError,
  TimeoutError,
  UnexpectedResponseError,
} from "../../mod.ts";
import {
  answeringLookups,
  exposeBody,
  prime,
  primeNotFound,
  recordingFetch,
  sequence,
  SSH_TOKEN,
  sshBody,
  unexposeBody,
} from "../helpers/fake_fetch.ts";
import { FakeClock } from "../../src/testing/mod.ts";

const BASE = "https://api.primeintellect.ai/api/v1/sandbox";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7xq0v3 me@laptop";

test("exposePort sends the port, name and upper-cased protocol, and returns camelCase fields", async () => {
  const { requests, bodies, fetch } = recordingFetch(() =>
    Response.json(
      exposeBody({ protocol: "TCP", external_port: 31000, external_endpoint: "h:31000" }),
    )
  );
  const exposure = await prime(fetch).sandbox("sb-1").exposePort({
    port: 8000,
    name: "web",
    protocol: "tcp",
  });
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.method, "POST");
  assert.equal(requests[0]!.url, `${BASE}/sb-1/expose`);
  assert.equal(requests[0]!.headers.get("authorization"), "Bearer test-api-key");
  assert.deepEqual(bodies[0], { port: 8000, name: "web", protocol: "TCP" });
  assert.deepEqual(exposure.toJSON(), {
    exposureId: "exp-123",
    sandboxId: "sb-1",
    port: 8000,
    name: "web",
    protocol: "TCP",
    url: "https://exp-123.sandbox.primeintellect.ai",
    tlsSocket: "exp-123.sandbox.primeintellect.ai:443",
    externalPort: 31000,
    externalEndpoint: "h:31000",
    createdAt: null,
  });
  assert.equal(exposure.url, "https://exp-123.sandbox.primeintellect.ai");
});

test("exposePort leaves out name and protocol when not given; absent optionals become null", async () => {
  const body = exposeBody();
  delete (body as Partial<typeof body>).name;
  delete (body as Partial<typeof body>).external_port;
  const { bodies, fetch } = recordingFetch(() => Response.json(body));
  const exposure = await new PrimeIntellect({
    apiKey: "k",
    fetch: answeringLookups(fetch),
    rateLimit: false,
    retry: false,
  }).sandbox("sb-1").exposePort({ port: 22, name: null });
  assert.deepEqual(bodies[0], { port: 22 });
  assert.equal(exposure.name, null);
  assert.equal(exposure.externalPort, null);
});

test("Exposure.unexpose sends DELETE once, even when called again or by disposal", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.method === "POST" ? Response.json(exposeBody()) : Response.json(unexposeBody())
  );
  const exposure = await prime(fetch).sandbox("sb-1").exposePort({ port: 8000 });
  assert.deepEqual(await exposure.unexpose(), { alreadyGone: false });
  assert.deepEqual(await exposure.unexpose(), { alreadyGone: false });
  await exposure[Symbol.asyncDispose]();
  const deletes = requests.filter((r) => r.method === "DELETE");
  assert.equal(deletes.length, 1);
  assert.equal(deletes[0]!.url, `${BASE}/sb-1/expose/exp-123`);
});

test("a failed unexpose can be tried again", async () => {
  const { requests, fetch } = recordingFetch(
    sequence(
      () => Response.json(exposeBody()),
      () => Response.json({ detail: "boom" }, { status: 500 }),
      () => Response.json(unexposeBody()),
    ),
  );
  const exposure = await prime(fetch).sandbox("sb-1").exposePort({ port: 8000 });
  await assert.rejects(exposure.unexpose(), ServerError);
  assert.deepEqual(await exposure.unexpose(), { alreadyGone: false });
  assert.equal(requests.length, 3);
});

test("unexposePort: 404 resolves alreadyGone, strict throws NotFoundError", async () => {
  const { requests, fetch } = recordingFetch(primeNotFound);
  const sandbox = prime(fetch).sandbox("sb-1");
  assert.deepEqual(await sandbox.unexposePort("exp-gone"), { alreadyGone: true });
  await assert.rejects(sandbox.unexposePort("exp-gone", { strict: true }), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.status, 404);
    assert.equal(error.operation, "unexposePort");
    assert.match(error.message, /Exposure not found/);
    return true;
  });
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.url, `${BASE}/sb-1/expose/exp-gone`);
});

test("unexposePort: other errors are not swallowed", async () => {
  const { fetch } = recordingFetch(() => new Response(null, { status: 401 }));
  await assert.rejects(prime(fetch).sandbox("sb-1").unexposePort("exp-1"), AuthenticationError);
});

test("listExposures maps each entry, with createdAt as a Date", async () => {
  const { requests, fetch } = recordingFetch(() =>
    Response.json({
      exposures: [
        { ...exposeBody(), created_at: "2026-05-01T12:00:00Z" },
        { ...exposeBody({ exposure_id: "exp-2", name: null, protocol: null }) },
      ],
    })
  );
  const list = await prime(fetch).sandbox("sb-1").listExposures();
  assert.equal(requests[0]!.method, "GET");
  assert.equal(requests[0]!.url, `${BASE}/sb-1/expose`);
  assert.equal(list.length, 2);
  assert.equal(list[0]!.exposureId, "exp-123");
  assert.ok(list[0]!.createdAt instanceof Date);
  assert.equal(list[0]!.createdAt!.toISOString(), "2026-05-01T12:00:00.000Z");
  assert.equal(list[1]!.createdAt, null);
  assert.equal(list[1]!.protocol, null);
  assert.equal(list[1]!.name, null);
});

test("createSshSession sends ttl_seconds and returns every field in camelCase", async () => {
  const { requests, bodies, fetch } = recordingFetch(() => Response.json(sshBody()));
  const session = await prime(fetch).sandbox("sb-1").createSshSession({ ttlSeconds: 600 });
  assert.equal(requests[0]!.url, `${BASE}/sb-1/ssh-session`);
  assert.deepEqual(bodies[0], { ttl_seconds: 600 });
  assert.deepEqual(session.toJSON(), {
    sessionId: "sess-abc",
    exposureId: "exp-ssh-1",
    sandboxId: "sb-1",
    host: "ssh.primeintellect.ai",
    port: 30022,
    externalEndpoint: "ssh.primeintellect.ai:30022",
    expiresAt: new Date("2026-05-01T12:15:00Z"),
    ttlSeconds: 900,
    gatewayUrl: "https://gateway.primeintellect.ai",
    userNs: "user-ns-1",
    jobId: "job-42",
  });
  assert.ok(session.expiresAt instanceof Date);
  assert.equal(session.token, SSH_TOKEN);
});

test("createSshSession without options sends an empty body", async () => {
  const { bodies, fetch } = recordingFetch(() => Response.json(sshBody()));
  await prime(fetch).sandbox("sb-1").createSshSession();
  assert.deepEqual(bodies[0], {});
});

test("sshCommand builds the argv with the provider's flags and a shell-quoted string", async () => {
  const { fetch } = recordingFetch(() => Response.json(sshBody()));
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  const { argv, command } = session.sshCommand({ identityFile: "/home/me/my keys/id_ed25519" });
  assert.deepEqual(argv, [
    "ssh",
    "sess-abc@ssh.primeintellect.ai",
    "-p",
    "30022",
    "-i",
    "/home/me/my keys/id_ed25519",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
  ]);
  assert.equal(
    command,
    "ssh sess-abc@ssh.primeintellect.ai -p 30022 -i '/home/me/my keys/id_ed25519' " +
      "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
  );
  assert.equal(
    session.sshCommand({ identityFile: "it's" }).command.split(" -i ")[1]!.split(" ")[0],
    `'it'\\''s'`,
  );
  assert.ok(!command.includes(SSH_TOKEN));
});

test("sshCommand refuses a server-sent user or host that ssh would read as an option", async () => {
  for (const overrides of [{ session_id: "-oProxyCommand=evil" }, { host: "-oProxyCommand=x" }]) {
    const { fetch } = recordingFetch(() => Response.json(sshBody(overrides)));
    const session = await prime(fetch).sandbox("sb-1").createSshSession();
    assert.throws(() => session.sshCommand({ identityFile: "k" }), UnexpectedResponseError);
  }
});

test("authorizeKey posts to the gateway with the session token, never the API key", async () => {
  const { requests, bodies, fetch } = recordingFetch((request) =>
    request.url.endsWith("/authorize") ? Response.json({ ok: true }) : Response.json(sshBody())
  );
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  await session.authorizeKey(`${PUBLIC_KEY}\n`);
  assert.equal(requests.length, 2);
  const authorize = requests[1]!;
  assert.equal(authorize.method, "POST");
  assert.equal(authorize.url, "https://gateway.primeintellect.ai/user-ns-1/job-42/authorize");
  assert.equal(authorize.headers.get("authorization"), `Bearer ${SSH_TOKEN}`);
  assert.equal(authorize.headers.get("content-type"), "application/json");
  assert.deepEqual(bodies[1], {
    session_id: "sess-abc",
    public_key: PUBLIC_KEY,
    ttl_seconds: 900,
  });
});

test("authorizeKey maps gateway failures to typed errors", async () => {
  const { fetch } = recordingFetch((request) =>
    request.url.endsWith("/authorize")
      ? Response.json({ detail: "bad token" }, { status: 401 })
      : Response.json(sshBody())
  );
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  await assert.rejects(session.authorizeKey(PUBLIC_KEY), (error: unknown) => {
    assert.ok(error instanceof AuthenticationError);
    assert.equal(error.operation, "authorizeKey");
    assert.ok(!error.message.includes(SSH_TOKEN));
    return true;
  });
});

test("authorizeKey goes through the client's pipeline: a gateway 429 is waited out and retried", async () => {
  let refused = 0;
  const { requests, fetch } = recordingFetch((request) => {
    if (!request.url.endsWith("/authorize")) return Response.json(sshBody());
    if (refused++ === 0) {
      return Response.json({ detail: "slow down" }, {
        status: 429,
        headers: { "retry-after": "0" },
      });
    }
    return Response.json({ ok: true });
  });
  using clock = new FakeClock(0, { autoAdvance: true });
  const session = await prime(fetch, { retry: { retries: 2 }, clock }).sandbox("sb-1")
    .createSshSession();
  await session.authorizeKey(PUBLIC_KEY);
  const authorizes = requests.filter((r) => r.url.endsWith("/authorize"));
  assert.equal(authorizes.length, 2, "the 429 was retried once");
  for (const r of authorizes) assert.equal(r.headers.get("authorization"), `Bearer ${SSH_TOKEN}`);
});

test("authorizeKey refuses an insecure or path-breaking gateway without sending", async () => {
  for (
    const overrides of [
      { gateway_url: "http://gateway.example.com" },
      { gateway_url: "not a url" },
      { user_ns: "../admin" },
      { job_id: "a/b" },
    ]
  ) {
    const { requests, fetch } = recordingFetch(() => Response.json(sshBody(overrides)));
    const session = await prime(fetch).sandbox("sb-1").createSshSession();
    await assert.rejects(session.authorizeKey(PUBLIC_KEY), UnexpectedResponseError);
    assert.equal(requests.length, 1, JSON.stringify(overrides));
  }
});

test("authorizeKey allows a loopback gateway over http", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.url.includes("/authorize")
      ? new Response(null, { status: 204 })
      : Response.json(sshBody({ gateway_url: "http://127.0.0.1:9999/gw/" }))
  );
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  await session.authorizeKey(PUBLIC_KEY);
  assert.equal(requests[1]!.url, "http://127.0.0.1:9999/gw/user-ns-1/job-42/authorize");
});

test("SshSession.close and closeSshSession: one DELETE, 404 means already gone", async () => {
  const { requests, fetch } = recordingFetch(
    sequence(
      () => Response.json(sshBody()),
      () => Response.json(unexposeBody()),
      primeNotFound,
    ),
  );
  const sandbox = prime(fetch).sandbox("sb-1");
  const session = await sandbox.createSshSession();
  assert.deepEqual(await session.close(), { alreadyGone: false });
  assert.deepEqual(await session.close(), { alreadyGone: false });
  assert.equal(requests.length, 2);
  assert.equal(requests[1]!.method, "DELETE");
  assert.equal(requests[1]!.url, `${BASE}/sb-1/ssh-session/sess-abc`);
  assert.deepEqual(await sandbox.closeSshSession("sess-abc"), { alreadyGone: true });
  await assert.rejects(sandbox.closeSshSession("sess-abc", { strict: true }), NotFoundError);
});

test("sandbox ids are validated before anything is sent", () => {
  const { requests, fetch } = recordingFetch();
  const client = prime(fetch);
  for (const bad of ["", "..", "a/b", "a b", "a?b", 7 as unknown as string]) {
    assert.throws(() => client.sandbox(bad), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.equal(error.field, "sandboxId");
      return true;
    });
  }
  assert.equal(requests.length, 0);
});

test("the low-level client is available as an escape hatch", async () => {
  const { requests, fetch } = recordingFetch(() => Response.json({ exposures: [] }));
  const client = new PrimeIntellect({ apiKey: "k", fetch, rateLimit: false, retry: false }).client;
  const { data } = await client.GET("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "sb-9" } },
  });
  assert.deepEqual(data, { exposures: [] });
  assert.equal(requests[0]!.url, `${BASE}/sb-9/expose`);
});

test("authorizeKey is bounded by the client's timeoutMs, like every call", async () => {
  let fire: (() => void) | undefined;
  const clock: Clock = {
    now: () => 0,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (ms === 1234) fire = resolve;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
  const fetch = (request: Request) => {
    if (!request.url.endsWith("/authorize")) return Promise.resolve(Response.json(sshBody()));
    return new Promise<Response>((_resolve, reject) => {
      request.signal.addEventListener("abort", () => reject(request.signal.reason));
      fire?.(); // the gateway hangs; the client's budget runs out
    });
  };
  const session = await prime(fetch, { clock, timeoutMs: 1234 }).sandbox("sb-1")
    .createSshSession();
  await assert.rejects(
    session.authorizeKey(PUBLIC_KEY),
    (error: unknown) =>
      error instanceof TimeoutError && error.timeoutMs === 1234 &&
      /authorizeKey/.test(error.message),
  );
});

test("prime.client is the client the sandbox methods send with: middleware added to it sees them", async () => {
  const { fetch } = recordingFetch(() => Response.json(exposeBody()));
  const client = prime(fetch);
  const seen: string[] = [];
  client.client.use({
    onRequest({ request }) {
      seen.push(`${request.method} ${new URL(request.url).pathname}`);
    },
  });
  const exposure = await client.sandbox("sb-1").exposePort({ port: 8000 });
  assert.equal(exposure.port, 8000);
  assert.deepEqual(seen, ["GET /api/v1/sandbox/sb-1", "POST /api/v1/sandbox/sb-1/expose"]);
});
