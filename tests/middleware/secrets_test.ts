import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { createPrimeIntellectClient, SandgateError } from "../../mod.ts";
import { createApiError } from "../../src/errors.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { EXPOSE, settle } from "./_support.ts";

const SECRET = "sk-SECRET-middleware-9Zq4Wd7Lp2Xv";

/** Every way a user or a log pipeline might render a value. */
function renderings(value: unknown): string[] {
  const out = [String(value), inspect(value, { depth: 10, showHidden: true })];
  try {
    out.push(JSON.stringify(value) ?? "");
  } catch {
    // cyclic: inspect covers it
  }
  let link: unknown = value;
  for (let i = 0; i < 10 && typeof link === "object" && link !== null; i++) {
    const { message, stack } = link as { message?: unknown; stack?: unknown };
    out.push(String(message), String(stack));
    link = (link as { cause?: unknown }).cause;
  }
  return out;
}

function assertNoSecret(value: unknown, label: string): void {
  for (const text of renderings(value)) {
    assert.ok(!text.includes(SECRET), `${label} leaks the key: ${text.slice(0, 300)}`);
  }
}

type Scenario = [label: string, fetch: (request: Request) => Promise<Response>, extra?: object];

const scenarios: Scenario[] = [
  ["401", () => Promise.resolve(new Response("unauthorized", { status: 401 }))],
  [
    "400 echoing the header",
    (request) =>
      Promise.resolve(
        new Response(`bad: ${request.headers.get("authorization")}`, { status: 400 }),
      ),
  ],
  [
    "401 echoing the raw key in body and header",
    (request) => {
      const key = request.headers.get("authorization")!.slice("Bearer ".length);
      return Promise.resolve(
        Response.json({ detail: `invalid token ${key}` }, {
          status: 401,
          headers: { "x-echo": key },
        }),
      );
    },
  ],
  [
    "network error quoting the header",
    (request) =>
      Promise.reject(
        new TypeError(`invalid header ${request.headers.get("authorization")}`, {
          cause: new Error(`value ${request.headers.get("authorization")}`),
        }),
      ),
  ],
  ["timeout", () => new Promise<Response>(() => {}), { timeoutMs: 1_000 }],
  ["redirect downgrade", () => Promise.resolve(Response.redirect("http://evil.example/", 302))],
  [
    "client-side rate limit",
    () => Promise.resolve(Response.json({})),
    { rateLimit: { limit: 1, maxWaitMs: 0 } },
  ],
];

for (const [label, fetch, extra] of scenarios) {
  test(`no secret in any error string: ${label}`, async () => {
    const clock = new FakeClock();
    const client = createPrimeIntellectClient({
      apiKey: SECRET,
      fetch,
      clock,
      retry: false,
      ...extra,
    });
    assertNoSecret(client, "the client");
    const call = () =>
      settle(client.POST(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, body: { port: 1 } }));
    let result = call();
    await clock.runAllAsync();
    if (label === "client-side rate limit") {
      result = call();
      await clock.runAllAsync();
    }
    assert.ok(result.done);
    let failure = result.error;
    if (failure === undefined) {
      // An HTTP failure: the low-level client hands back the server's body as it is; the
      // high-level API turns it into an ApiError, which must not carry the key.
      const { response, error: body } = result.value as { response: Response; error: unknown };
      failure = createApiError({
        status: response.status,
        provider: "primeintellect",
        operation: "exposePort",
        headers: response.headers,
        body,
      });
    }
    assert.ok(failure instanceof SandgateError, String(failure));
    assertNoSecret(failure, label);
  });
}

test("no secret in a bad-key error, inspect or JSON of the client", async () => {
  const bad = `${SECRET}\r\nX-Injected: 1`;
  const client = createPrimeIntellectClient({ apiKey: bad, fetch: () => Promise.reject() });
  assertNoSecret(client, "client");
  const result = settle(client.GET(EXPOSE, { params: { path: { sandbox_id: "sb" } } }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.ok(result.error instanceof SandgateError);
  assertNoSecret(result.error, "bad key");
});
