/**
 * Arbitrary responses: any status, body and headers (malformed `Retry-After`,
 * huge bodies, wrong JSON types, non-JSON, empty) for every high-level call
 * either resolve or reject with a `SandgateError` — never another error,
 * never a hang (virtual clock, bounded in real time), never a pending timer.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PrimeIntellect, SandgateError, Tensorlake } from "../../mod.ts";
import { FC_PARAMS } from "./_arbitraries.ts";
import { FakeClock } from "../../src/testing/time.ts";

interface Reply {
  status: number;
  body: string | null;
  headers: Record<string, string>;
}

const retryAfter = fc.oneof(
  fc.constantFrom(
    "0",
    "1",
    "7",
    "-1",
    "1e309",
    "Infinity",
    "NaN",
    "0x10",
    " 3 ",
    "3.5",
    "99999999999999999999",
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT",
    "tomorrow",
    "",
    "\u00a0",
  ),
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
);

function jsonBody(): fc.Arbitrary<string> {
  const field = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.object({ maxDepth: 1 }),
  );
  // Shapes close to the real ones, with fields of the wrong type or missing.
  const nearMiss = fc.record({
    exposure_id: field,
    sandbox_id: field,
    port: field,
    protocol: field,
    url: field,
    tls_socket: field,
    session_id: field,
    token: field,
    host: field,
    external_endpoint: field,
    expires_at: field,
    ttl_seconds: field,
    gateway_url: field,
    user_ns: field,
    job_id: field,
    exposures: fc.oneof(field, fc.array(fc.object({ maxDepth: 1 }), { maxLength: 3 })),
    sessions: fc.oneof(field, fc.array(fc.object({ maxDepth: 1 }), { maxLength: 3 })),
    command: field,
    rows: field,
    cols: field,
    success: field,
    message: field,
    errors: fc.oneof(field, fc.array(fc.record({ param: field, details: field }))),
    error: field,
    code: field,
    detail: field,
  }, { requiredKeys: [] });
  return fc.oneof(
    nearMiss.map((v) => JSON.stringify(v)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  );
}

const body = fc.oneof(
  { weight: 4, arbitrary: jsonBody() },
  { weight: 1, arbitrary: jsonBody().map((t) => t.slice(0, Math.floor(t.length / 2))) },
  { weight: 1, arbitrary: fc.constantFrom("", "<html>502 Bad Gateway</html>", "null", "[]", "{") },
  { weight: 1, arbitrary: fc.string() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(1_000, 1_000_000).map((n) =>
      JSON.stringify({ detail: "x".repeat(n) })
    ),
  },
);

const reply: fc.Arbitrary<Reply> = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  ),
  body: fc.option(body, { nil: null }),
  headers: fc.record({
    "retry-after": retryAfter,
    "ratelimit-reset": retryAfter,
    "content-type": fc.constantFrom("application/json", "text/html", "", "application/json; x"),
    "x-request-id": fc.string({ maxLength: 100 }),
    location: fc.constantFrom("https://evil.example/", "/relative", "::::", ""),
  }, { requiredKeys: [] }),
});

function toResponse(r: Reply): Response {
  const nullBody = r.status === 204 || r.status === 205 || r.status === 304;
  const headers = new Headers();
  for (const [k, v] of Object.entries(r.headers)) {
    try {
      headers.set(k, v);
    } catch { /* invalid header value: leave it out */ }
  }
  return new Response(nullBody ? null : r.body, { status: r.status, headers });
}

const OPERATIONS = [
  "exposePort",
  "unexposePort",
  "listExposures",
  "createSshSession",
  "closeSshSession",
  "createPty",
  "listPtys",
  "getPty",
  "resizePty",
  "killPty",
] as const;

test("arbitrary responses: every call settles with a value or a SandgateError, and never hangs", async () => {
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...OPERATIONS),
      fc.array(reply, { minLength: 1, maxLength: 6 }),
      fc.boolean(),
      async (operation, replies, retries) => {
        const clock = new FakeClock(undefined, { autoAdvance: true });
        let i = 0;
        const fetch = () =>
          Promise.resolve(toResponse(replies[Math.min(i++, replies.length - 1)]!));
        const options = {
          apiKey: "fuzz",
          fetch,
          clock,
          rateLimit: false as const,
          ...(retries ? {} : { retry: false as const }),
        };
        const pi = new PrimeIntellect(options).sandbox("sb");
        const tl = new Tensorlake(options).sandbox("sb");
        const calls: Record<typeof OPERATIONS[number], () => Promise<unknown>> = {
          exposePort: () => pi.exposePort({ port: 8000 }),
          unexposePort: () => pi.unexposePort("e1"),
          listExposures: () => pi.listExposures(),
          createSshSession: () => pi.createSshSession(),
          closeSshSession: () => pi.closeSshSession("s1"),
          createPty: () => tl.createPty({ command: "bash" }),
          listPtys: () => tl.listPtys(),
          getPty: () => tl.getPty("p1"),
          resizePty: () => tl.resizePty("p1", { rows: 2, cols: 3 }),
          killPty: () => tl.killPty("p1"),
        };
        let timer: ReturnType<typeof setTimeout> | undefined;
        const hang = new Promise<"hang">((resolve) => {
          timer = setTimeout(() => resolve("hang"), 5_000);
        });
        const outcome = await Promise.race([
          calls[operation]().then(() => "ok", (error) => error),
          hang,
        ]);
        clearTimeout(timer);
        assert.notEqual(outcome, "hang", `${operation} did not settle`);
        if (outcome !== "ok") {
          assert.ok(
            outcome instanceof SandgateError,
            `${operation}: ${outcome instanceof Error ? outcome.stack : String(outcome)}`,
          );
          // One readable line, bounded, whatever the body was.
          assert.ok(!/[\r\n]/.test(outcome.message), outcome.message);
          assert.ok(outcome.message.length < 1_000, `message of ${outcome.message.length} chars`);
        }
        const key = outcome === "ok" ? "ok" : (outcome as Error).name;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        assert.equal(clock.pending, 0, "a timer was left pending");
        clock.close();
      },
    ),
    FC_PARAMS,
  );
  // Non-vacuous: successes and several error classes were produced.
  assert.ok(seen.size >= 5, JSON.stringify([...seen]));
});
