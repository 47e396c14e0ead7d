import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createPrimeIntellectClient,
  InvalidArgumentError,
  MissingApiKeyError,
  UnexpectedResponseError,
} from "../../mod.ts";
import { authMiddleware } from "../../src/middleware/auth.ts";
import { compose } from "../../src/middleware/compose.ts";
import { digestHex } from "../../src/util/hash.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { context, EXPOSE, exposed, settle } from "./_support.ts";
import { recordingFetch } from "../helpers/fake_fetch.ts";
import { withEnv } from "../helpers/env.ts";

const KEY = "sk-test-auth-key-0001";
const BASE = "https://api.primeintellect.ai";

function client(
  respond: (request: Request, index: number) => Response | Promise<Response>,
  extra: Parameters<typeof createPrimeIntellectClient>[0] = {},
  withKey = true,
) {
  const clock = new FakeClock();
  const recorder = recordingFetch(respond, clock);
  const c = createPrimeIntellectClient({
    ...(withKey ? { apiKey: KEY } : {}),
    fetch: recorder.fetch,
    clock,
    rateLimit: false,
    retry: false,
    ...extra,
  });
  return { client: c, sent: recorder.sent, clock };
}

const redirect = (status: number, location: string) =>
  new Response(null, { status, headers: { location } });

const expose = (c: ReturnType<typeof createPrimeIntellectClient>) =>
  c.POST(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, body: { port: 8000 } });
const list = (c: ReturnType<typeof createPrimeIntellectClient>) =>
  c.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } } });

test("the key from the option is sent as a bearer token", async () => {
  const { client: c, sent } = client(() => exposed());
  await list(c);
  assert.equal(sent[0]!.authorization, `Bearer ${KEY}`);
});

test("a key provider is called for every request (rotating tokens)", async () => {
  let n = 0;
  const { client: c, sent } = client(() => exposed(), {
    apiKey: () => Promise.resolve(`rotating-${++n}`),
  });
  await list(c);
  await list(c);
  assert.deepEqual(sent.map((s) => s.authorization), ["Bearer rotating-1", "Bearer rotating-2"]);
});

test("the key is read from PRIME_API_KEY when no option is given", async () => {
  await withEnv({ PRIME_API_KEY: "from-env-key" }, async () => {
    const { client: c, sent } = client(() => exposed(), {}, false);
    await list(c);
    assert.equal(sent[0]!.authorization, "Bearer from-env-key");
  });
});

test("no key anywhere → MissingApiKeyError naming the option and the variable, nothing sent", async () => {
  await withEnv({ PRIME_API_KEY: undefined }, async () => {
    const { client: c, sent } = client(() => exposed(), {}, false);
    await assert.rejects(list(c), (error: unknown) => {
      assert.ok(error instanceof MissingApiKeyError);
      assert.match(error.message, /apiKey/);
      assert.match(error.message, /PRIME_API_KEY/);
      return true;
    });
    const empty = client(() => exposed(), { apiKey: () => "" });
    await assert.rejects(list(empty.client), MissingApiKeyError);
    assert.equal(sent.length + empty.sent.length, 0);
  });
});

test("a key with a line break is refused without echoing it", async () => {
  const secret = "sk-line\nbreak-secret";
  const { client: c, sent } = client(() => exposed(), { apiKey: secret });
  await assert.rejects(list(c), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.ok(!error.message.includes("break-secret"));
    return true;
  });
  assert.equal(sent.length, 0);
});

test("the key is trimmed", async () => {
  const { client: c, sent } = client(() => exposed(), { apiKey: `  ${KEY}\n` });
  await list(c);
  assert.equal(sent[0]!.authorization, `Bearer ${KEY}`);
});

test("a redirect to another host does not carry the key", async () => {
  const { client: c, sent } = client((_r, i) =>
    i === 0 ? redirect(307, "https://evil.example/collect") : exposed()
  );
  const result = await list(c);
  assert.equal(result.response.status, 200);
  assert.equal(sent.length, 2);
  assert.equal(sent[0]!.authorization, `Bearer ${KEY}`);
  assert.equal(sent[1]!.url, "https://evil.example/collect");
  assert.equal(sent[1]!.authorization, null);
  assert.ok(sent.every((s) => s.request.redirect === "manual"));
});

test("a redirect back to the configured origin carries the key again", async () => {
  const { client: c, sent } = client((_r, i) =>
    i === 0
      ? redirect(302, "https://cdn.example/hop")
      : i === 1
      ? redirect(302, `${BASE}/api/v1/sandbox/sb-1/expose?page=2`)
      : exposed()
  );
  await list(c);
  assert.deepEqual(sent.map((s) => s.authorization), [`Bearer ${KEY}`, null, `Bearer ${KEY}`]);
});

test("a relative same-origin redirect keeps the key", async () => {
  const { client: c, sent } = client((
    _r,
    i,
  ) => (i === 0 ? redirect(308, "/v2/expose") : exposed()));
  await list(c);
  assert.equal(sent[1]!.url, `${BASE}/v2/expose`);
  assert.equal(sent[1]!.authorization, `Bearer ${KEY}`);
});

test("an absolute URL to another origin is sent without the key", async () => {
  const { client: c, sent } = client(() => exposed());
  await c.GET(EXPOSE, {
    params: { path: { sandbox_id: "sb-1" } },
    baseUrl: "https://other.example",
    headers: { Authorization: `Bearer ${KEY}` },
  });
  assert.equal(sent[0]!.url, "https://other.example/api/v1/sandbox/sb-1/expose");
  assert.equal(sent[0]!.authorization, null);
});

test("303 continues as a GET without body; 301/302 after POST too", async () => {
  for (const code of [303, 302, 301]) {
    const { client: c, sent } = client((_r, i) => (i === 0 ? redirect(code, "/done") : exposed()));
    await expose(c);
    assert.equal(sent[1]!.method, "GET", `after ${code}`);
    assert.equal(sent[1]!.body, "");
    assert.equal(sent[1]!.request.headers.get("content-type"), null);
  }
});

test("307 and 308 resend the same method and body", async () => {
  for (const code of [307, 308]) {
    const { client: c, sent } = client((_r, i) => (i === 0 ? redirect(code, "/again") : exposed()));
    await expose(c);
    assert.equal(sent[1]!.method, "POST");
    assert.deepEqual(JSON.parse(sent[1]!.body), { port: 8000 });
    assert.equal(sent[1]!.authorization, `Bearer ${KEY}`);
  }
});

test("an https → http downgrade is refused (loopback aside)", async () => {
  const { client: c, sent } = client(() => redirect(301, "http://api.primeintellect.ai/x"));
  await assert.rejects(list(c), (error: unknown) => {
    assert.ok(error instanceof UnexpectedResponseError);
    assert.match(error.message, /listExposures: refused a redirect from https: to insecure/);
    return true;
  });
  assert.equal(sent.length, 1);

  const local = client((_r, i) => (i === 0 ? redirect(302, "http://localhost:8080/x") : exposed()));
  await list(local.client);
  assert.equal(local.sent[1]!.url, "http://localhost:8080/x");
  assert.equal(local.sent[1]!.authorization, null, "another origin all the same");
});

test("redirect loops stop after 5 hops", async () => {
  const { client: c, sent } = client(() => redirect(302, "/loop"));
  await assert.rejects(list(c), /more than 5 redirects/);
  assert.equal(sent.length, 6);
});

test("a redirect without Location, or with redirect: manual, is returned as it is", async () => {
  const bare = client(() => new Response(null, { status: 302 }));
  assert.equal((await list(bare.client)).response.status, 302);
  const manual = client(() => redirect(302, "https://evil.example/"));
  const result = await manual.client.GET(EXPOSE, {
    params: { path: { sandbox_id: "sb-1" } },
    redirect: "manual",
  });
  assert.equal(result.response.status, 302);
  assert.equal(manual.sent.length, 1);
});

test("auth sets context.tokenHash to the first 12 hex digits of the key's SHA-256", async () => {
  const ctx = context({ tokenHash: "" });
  const handler = compose(
    [authMiddleware({ provider: "primeintellect", apiKey: KEY, envVar: "PRIME_API_KEY" })],
    () => Promise.resolve(new Response(null)),
  );
  await handler(new Request(`${ctx.origin}/x`), ctx);
  assert.equal(ctx.tokenHash, (await digestHex("SHA-256", KEY)).slice(0, 12));
  assert.match(ctx.tokenHash, /^[0-9a-f]{12}$/);
});

test("a key provider's rejection surfaces before anything is sent", async () => {
  const failure = new Error("vault unavailable");
  const { client: c, sent, clock } = client(() => exposed(), {
    apiKey: () => Promise.reject(failure),
  });
  const call = settle(list(c));
  await clock.tickAsync(0);
  assert.equal(call.error, failure);
  assert.equal(sent.length, 0);
});
