// Prime Intellect's own clients are Python only: tests/fixtures/prime_clients/requests.json
// records, from their sources (each request cites PrimeIntellect-ai/prime path@commit), which
// requests their SDK and CLI send for expose, list, unexpose, SSH create/close and
// `prime sandbox ssh` up to running ssh. Each operation is replayed here, in order and over
// real HTTP, against the served emulator: every request must be answered 2xx (no 404), as it
// would be for their clients run against `sandgate emulator`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createEmulator, serve } from "../../src/testing/mod.ts";

interface RecordedRequest {
  method: string;
  /** A path on the API's base URL, or `url`: an absolute URL template (the SSH gateway). */
  path?: string;
  url?: string;
  /** A bearer other than the API key (the session token at the gateway). */
  bearer?: string;
  body?: Record<string, unknown>;
  /** Answer field -> placeholder, for later requests. */
  capture?: Record<string, string>;
  source: string;
}
interface Operation {
  name: string;
  client: "SDK" | "CLI";
  requests: RecordedRequest[];
}
interface Fixture {
  repository: string;
  commit: string;
  operations: Operation[];
}

const FIXTURE = JSON.parse(
  readFileSync(new URL("../fixtures/prime_clients/requests.json", import.meta.url), "utf8"),
) as Fixture;

test("the fixture cites a source file of PrimeIntellect-ai/prime at the commit for every request", () => {
  assert.equal(FIXTURE.repository, "PrimeIntellect-ai/prime");
  assert.match(FIXTURE.commit, /^66fb4b7[0-9a-f]{33}$/);
  const names = FIXTURE.operations.map((o) => o.name);
  for (
    const wanted of [
      /^sdk expose$/,
      /^sdk list exposed/,
      /^sdk unexpose$/,
      /^sdk create ssh/,
      /^sdk close ssh/,
      /^cli prime sandbox ssh/,
    ]
  ) {
    assert.ok(names.some((n) => wanted.test(n)), `an operation matching ${wanted}`);
  }
  for (const operation of FIXTURE.operations) {
    assert.ok(operation.requests.length > 0, operation.name);
    for (const request of operation.requests) {
      assert.match(
        request.source,
        /^packages\/prime(-sandboxes)?\/src\/prime_(sandboxes|cli)\/[a-z_/]+\.py@66fb4b7 \S/,
        `${operation.name}: ${request.method} ${request.path ?? request.url}`,
      );
      assert.ok((request.path === undefined) !== (request.url === undefined), "path or url");
    }
  }
});

/** `{name}` placeholders: a whole-string placeholder keeps the captured value's type. */
function fill(value: unknown, vars: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = /^\{(\w+)\}$/.exec(value);
    if (whole) {
      assert.ok(whole[1]! in vars, `${whole[1]} was captured`);
      return vars[whole[1]!];
    }
    return value.replace(/\{(\w+)\}/g, (_, name: string) => {
      assert.ok(name in vars, `${name} was captured`);
      return encodeURIComponent(String(vars[name]));
    });
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  }
  return value;
}

test("the served emulator answers every request Prime's SDK and CLI send, in order, with a 2xx", async () => {
  const emulator = createEmulator({ apiKeys: ["prime-client-key"] });
  await using server = await serve(emulator);
  const vars: Record<string, unknown> = { sandbox_id: "sb-prime-client" };
  const answered: string[] = [];
  for (const operation of FIXTURE.operations) {
    for (const recorded of operation.requests) {
      // The SSH gateway's URL comes from the session answer (their client strips a trailing /).
      const full = recorded.url !== undefined
        ? String(fill(
          recorded.url.replace("{gateway_url}", String(vars.gateway_url).replace(/\/+$/, "")),
          vars,
        ))
        : `${server.url}${fill(recorded.path, vars)}`;
      const bearer = recorded.bearer === undefined
        ? "prime-client-key"
        : String(fill(recorded.bearer, vars));
      const response = await fetch(full, {
        method: recorded.method,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(recorded.body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(recorded.body === undefined ? {} : { body: JSON.stringify(fill(recorded.body, vars)) }),
      });
      const text = await response.text();
      const label = `${operation.name}: ${recorded.method} ${new URL(full).pathname}`;
      assert.ok(response.ok, `${label} answered ${response.status} ${text}`);
      answered.push(label);
      if (recorded.capture) {
        const body = JSON.parse(text) as Record<string, unknown>;
        for (const [field, name] of Object.entries(recorded.capture)) {
          assert.ok(body[field] !== undefined, `${label}: ${field} in the answer`);
          vars[name] = body[field];
        }
      }
    }
  }
  assert.equal(
    answered.length,
    FIXTURE.operations.reduce((n, o) => n + o.requests.length, 0),
  );
  // Everything created along the way was removed again by the recorded requests.
  assert.equal(emulator.live().sshSessions, 0);
  assert.equal(emulator.live().exposures, 0);
});
