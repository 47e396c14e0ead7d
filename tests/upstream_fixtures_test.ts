// Conformance: every documented example body in tests/fixtures/upstream (each copied from
// the provider's docs page it names) goes through the public API with a stub fetch, and the
// parsed result is asserted. Request examples: the SDK sends exactly the documented body,
// and it validates against the merged spec.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { NotFoundError, PrimeIntellect, RateLimitedError, Tensorlake } from "../mod.ts";
import { answeringLookups } from "./helpers/fake_fetch.ts";
import { SpecValidator } from "./reliability/_spec_schemas.ts";

interface Fixture {
  source: string;
  kind: "request" | "response";
  method: string;
  path: string;
  status?: number;
  body: unknown;
}

const DIR = new URL("./fixtures/upstream/", import.meta.url);
const FIXTURES: Record<string, Fixture> = Object.fromEntries(
  readdirSync(DIR).filter((f) => f.endsWith(".json")).sort().map((f) => [
    f.replace(/\.json$/, ""),
    JSON.parse(readFileSync(new URL(f, DIR), "utf8")) as Fixture,
  ]),
);

/** A fetch answering every request with the fixture's status and body; records requests. */
function stub(fixture: Fixture) {
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    requests.push(request);
    const status = fixture.status ?? 200;
    return Promise.resolve(
      status === 204 ? new Response(null, { status }) : Response.json(fixture.body, { status }),
    );
  };
  return { requests, fetch };
}

const options = { apiKey: "k", retry: false as const, rateLimit: false as const };
// The sandbox lookup before the first port or SSH call (the VM check) is answered aside:
// each fixture is about the call under test.
const prime = (fetch: (r: Request) => Promise<Response>) =>
  new PrimeIntellect({ ...options, fetch: answeringLookups(fetch) });
const tensorlake = (fetch: (r: Request) => Promise<Response>) =>
  new Tensorlake({ ...options, fetch }).sandbox("my-sb");

/** What each fixture must parse to (or send), through the public API. */
const CASES: Record<string, (fixture: Fixture) => Promise<void>> = {
  async tensorlake_create_pty_request(f) {
    const s = stub({ ...f, status: 201, body: { session_id: "p", token: "t" } });
    await tensorlake(s.fetch).createPty({
      command: "/bin/bash",
      args: ["-l"],
      env: { TERM: "xterm-256color" },
      workingDir: "/workspace",
      rows: 24,
      cols: 80,
    });
    assert.deepEqual(await s.requests[0]!.json(), f.body);
  },
  async tensorlake_create_pty_201(f) {
    const pty = await tensorlake(stub(f).fetch).createPty({ command: "/bin/bash" });
    assert.equal(pty.sessionId, "LYtJOrxE9Kz3bphPUDzuX");
    assert.equal(pty.token, "<pty-session-token>");
  },
  async tensorlake_create_pty_429(f) {
    await assert.rejects(
      tensorlake(stub(f).fetch).createPty({ command: "sh" }),
      (e: unknown) => e instanceof RateLimitedError && e.code === "TOO_MANY_SESSIONS",
    );
  },
  async tensorlake_list_ptys_200(f) {
    assert.deepEqual(await tensorlake(stub(f).fetch).listPtys(), [{
      sessionId: "LYtJOrxE9Kz3bphPUDzuX",
      pid: 42,
      command: "/bin/bash",
      args: ["-l"],
      rows: 24,
      cols: 80,
      createdAt: new Date(1710000000000),
      isAlive: true,
      endedAt: null,
      exitCode: null,
      oomKilled: false,
    }]);
  },
  async tensorlake_get_pty_200(f) {
    const info = await tensorlake(stub(f).fetch).getPty("LYtJOrxE9Kz3bphPUDzuX");
    assert.deepEqual(info.createdAt, new Date("2024-03-09T16:00:00.000Z"));
    assert.equal(info.pid, 42);
    assert.equal(info.isAlive, true);
    assert.equal(info.endedAt, null);
  },
  async tensorlake_get_pty_200_oom(f) {
    const info = await tensorlake(stub(f).fetch).getPty("x");
    assert.deepEqual(
      [info.createdAt.getTime(), info.endedAt?.getTime(), info.exitCode, info.oomKilled],
      [123, 123, 123, true],
    );
  },
  async tensorlake_resize_pty_request(f) {
    const s = stub({ ...f, status: 204 });
    await tensorlake(s.fetch).resizePty("p", { rows: 40, cols: 120 });
    assert.deepEqual(await s.requests[0]!.json(), f.body);
  },
  async tensorlake_resize_pty_error(f) {
    await assert.rejects(
      tensorlake(stub(f).fetch).resizePty("p", { rows: 40, cols: 120 }),
      (e: unknown) => e instanceof NotFoundError && e.code === "<string>",
    );
  },
  async prime_expose_port_request(f) {
    const s = stub({
      ...f,
      body: { exposure_id: "e", sandbox_id: "s", port: 4511, url: "u", tls_socket: "t" },
    });
    await prime(s.fetch).sandbox("s").exposePort({
      port: 4511,
      name: "<string>",
      protocol: "http",
    });
    assert.deepEqual(await s.requests[0]!.json(), f.body);
  },
  async prime_expose_port_200(f) {
    const exposure = await prime(stub(f).fetch).sandbox("<string>").exposePort({ port: 123 });
    assert.deepEqual(exposure.toJSON(), {
      exposureId: "<string>",
      sandboxId: "<string>",
      port: 123,
      name: "<string>",
      protocol: "<string>",
      url: "<string>",
      tlsSocket: "<string>",
      externalPort: null,
      externalEndpoint: null,
      createdAt: null,
    });
  },
  async prime_list_exposed_ports_200(f) {
    const [info] = await prime(stub(f).fetch).sandbox("s").listExposures();
    // models.py: created_at is a plain Optional[str]; one that is not a date reads as null.
    assert.deepEqual(
      [info!.exposureId, info!.port, info!.protocol, info!.externalPort, info!.createdAt],
      ["<string>", 123, null, null, null],
    );
  },
  async prime_list_all_exposed_ports_200(f) {
    const s = stub(f);
    const [info] = await prime(s.fetch).listAllExposures();
    assert.equal(new URL(s.requests[0]!.url).pathname, "/api/v1/sandbox/expose/all");
    assert.deepEqual([info!.protocol, info!.externalPort], ["<string>", 123]);
  },
  async prime_unexpose_port_200(f) {
    assert.deepEqual(await prime(stub(f).fetch).sandbox("s").unexposePort("e"), {
      alreadyGone: false,
    });
  },
  async prime_create_ssh_session_request(f) {
    const answer = FIXTURES.prime_create_ssh_session_200!;
    const s = stub({ ...f, body: answer.body });
    await prime(s.fetch).sandbox("s").createSshSession({ ttlSeconds: 123 });
    assert.deepEqual(await s.requests[0]!.json(), f.body);
  },
  async prime_create_ssh_session_200(f) {
    const session = await prime(stub(f).fetch).sandbox("s").createSshSession();
    assert.deepEqual(session.expiresAt, new Date("2023-11-07T05:31:56Z"));
    assert.equal(session.port, 123);
    assert.equal(session.token, "<string>");
  },
  async prime_close_ssh_session_200(f) {
    assert.deepEqual(await prime(stub(f).fetch).sandbox("s").closeSshSession("x"), {
      alreadyGone: false,
    });
  },
};

test("every fixture names an https docs page and has a case here", () => {
  assert.ok(Object.keys(FIXTURES).length >= 16);
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    assert.match(
      fixture.source,
      /^https:\/\/docs\.(tensorlake|primeintellect)\.ai\/api-reference\//,
    );
    assert.ok(CASES[name], `${name} has a conformance case`);
  }
  assert.deepEqual(Object.keys(CASES).sort(), Object.keys(FIXTURES).sort());
});

for (const [name, fixture] of Object.entries(FIXTURES)) {
  test(`upstream example ${name} goes through the public API`, () => CASES[name]!(fixture));
}

test("documented request examples validate against the merged specs", () => {
  for (const fixture of Object.values(FIXTURES)) {
    if (fixture.kind !== "request") continue;
    const spec = fixture.path.startsWith("/api/v1/pty") ? "tensorlake" : "primeintellect";
    const validator = new SpecValidator(spec);
    assert.ok(validator.validateBody(fixture.method, fixture.path, fixture.body), fixture.path);
  }
});
