/**
 * Where the credentials go: `Authorization` never leaves the configured origin (redirects of every
 * kind, chains that come back, look-alike hosts, https: → http:, absolute URLs to other origins);
 * the SSH gateway gets the session token, never the API key, and never over plain `http:`; plain
 * `http:` to a non-loopback host is refused at construction. (The rest of the secret hygiene:
 * secret_hygiene_test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ConfigError,
  createPrimeIntellectClient,
  InvalidArgumentError,
  PrimeIntellect,
  SandgateError,
  Tensorlake,
} from "../../mod.ts";
import { authMiddleware } from "../../src/middleware/auth.ts";
import { compose } from "../../src/middleware/compose.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import { SECRET_API_KEY } from "../helpers/secrets.ts";
import { answeringLookups } from "../helpers/fake_fetch.ts";

// Node 20 has no Symbol.asyncDispose; sandgate's handles then use the registered symbol.
const ASYNC_DISPOSE: typeof Symbol.asyncDispose =
  (Symbol.asyncDispose ?? Symbol.for("Symbol.asyncDispose")) as typeof Symbol.asyncDispose;
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHygiene hygiene@test";

function capture(respond: (request: Request) => Response) {
  const seen: { url: string; authorization: string | null }[] = [];
  const fetch = (request: Request) => {
    seen.push({ url: request.url, authorization: request.headers.get("authorization") });
    return Promise.resolve(respond(request));
  };
  return { seen, fetch };
}

for (const status of [301, 302, 303, 307, 308]) {
  test(`a ${status} redirect to another origin never carries Authorization`, async () => {
    const { seen, fetch } = capture((request) =>
      new URL(request.url).host === "api.primeintellect.ai"
        ? new Response(null, {
          status,
          headers: { location: "https://evil.example/api/v1/sandbox/sb/expose" },
        })
        : Response.json({ exposures: [] })
    );
    const prime = new PrimeIntellect({
      apiKey: SECRET_API_KEY,
      fetch: answeringLookups(fetch),
      retry: false,
    });
    await prime.sandbox("hyg-2").listExposures().catch((e) => {
      assert.ok(e instanceof SandgateError, String(e));
    });
    assert.equal(seen[0]!.authorization, `Bearer ${SECRET_API_KEY}`);
    assert.ok(seen.length >= 2 || status === 303, `the redirect was not followed: ${seen.length}`);
    for (const hop of seen.slice(1)) {
      assert.notEqual(new URL(hop.url).origin, "https://api.primeintellect.ai");
      assert.equal(hop.authorization, null, `Authorization sent to ${hop.url}`);
    }
  });
}

test("redirect chains that come back, or go to a look-alike host, still drop the key off-origin", async () => {
  const hops = [
    "https://api.primeintellect.ai.evil.example/x",
    "https://api.primeintellect.ai:8443/x",
    "https://evil.example/back",
    "//evil.example/protocol-relative",
  ];
  let i = 0;
  const { seen, fetch } = capture(() => {
    const next = hops[i++];
    return next
      ? new Response(null, { status: 307, headers: { location: next } })
      : Response.json({ exposures: [] });
  });
  const prime = new PrimeIntellect({ apiKey: SECRET_API_KEY, fetch, retry: false });
  await prime.sandbox("hyg-3").listExposures().catch((e) => assert.ok(e instanceof SandgateError));
  for (const hop of seen) {
    if (new URL(hop.url).origin !== "https://api.primeintellect.ai") {
      assert.equal(hop.authorization, null, `Authorization sent to ${hop.url}`);
    }
  }
});

test("an https: → http: redirect is not followed with the key", async () => {
  const { seen, fetch } = capture((request) =>
    request.url.startsWith("https:")
      ? new Response(null, {
        status: 307,
        headers: { location: "http://api.primeintellect.ai/api/v1/sandbox/sb/expose" },
      })
      : Response.json({ exposures: [] })
  );
  const prime = new PrimeIntellect({ apiKey: SECRET_API_KEY, fetch, retry: false });
  await prime.sandbox("hyg-4").listExposures().catch((e) => assert.ok(e instanceof SandgateError));
  for (const hop of seen.slice(1)) {
    assert.equal(hop.authorization, null, `Authorization sent over ${hop.url}`);
  }
});

test("a request to an absolute URL on another origin never gets the key (auth middleware)", async () => {
  const seen: (string | null)[] = [];
  const handler = compose(
    [authMiddleware({ provider: "primeintellect", apiKey: SECRET_API_KEY, envVar: "X" })],
    (request) => {
      seen.push(request.headers.get("authorization"));
      return Promise.resolve(Response.json({}));
    },
  );
  const context = {
    provider: "primeintellect" as const,
    operation: "test",
    sandboxId: "sb",
    origin: "https://api.primeintellect.ai",
    attempt: 1,
    tokenHash: "",
  };
  for (
    const url of [
      "https://evil.example/api/v1/sandbox/sb/expose",
      "https://api.primeintellect.ai.evil.example/x",
      "http://api.primeintellect.ai/x",
      "https://api.primeintellect.ai:444/x",
    ]
  ) {
    // Even a caller-supplied Authorization header is stripped off-origin.
    await handler(new Request(url, { headers: { authorization: "Bearer caller" } }), {
      ...context,
    });
  }
  await handler(new Request("https://api.primeintellect.ai/x"), { ...context });
  assert.deepEqual(seen, [null, null, null, null, `Bearer ${SECRET_API_KEY}`]);
});

test("authorizeKey sends the session token, never the API key, to the gateway", async () => {
  const emulator = createEmulator({ gatewayUrl: "https://gateway.example/gateway" });
  const { seen, fetch } = capture(() => new Response(null, { status: 599 }));
  const routed = async (request: Request) => {
    seen.push({ url: request.url, authorization: request.headers.get("authorization") });
    return await emulator.fetch(request);
  };
  void fetch;
  const prime = new PrimeIntellect({ apiKey: SECRET_API_KEY, fetch: routed });
  await using session = await prime.sandbox("hyg-5").createSshSession();
  await session.authorizeKey(PUBLIC_KEY);
  const gateway = seen.filter((hop) => hop.url.startsWith("https://gateway.example/"));
  assert.equal(gateway.length, 1);
  assert.equal(gateway[0]!.authorization, `Bearer ${session.token}`);
  for (const hop of seen) {
    if (!hop.url.startsWith("https://api.primeintellect.ai/")) {
      assert.ok(!hop.authorization?.includes(SECRET_API_KEY), `API key sent to ${hop.url}`);
    }
  }
});

test("a gateway_url with plain http: to a non-loopback host gets no token", async () => {
  const emulator = createEmulator({ gatewayUrl: "http://gateway.example/gateway" });
  const seen: string[] = [];
  const prime = new PrimeIntellect({
    apiKey: SECRET_API_KEY,
    fetch: (request) => {
      seen.push(request.url);
      return emulator.fetch(request);
    },
  });
  await using session = await prime.sandbox("hyg-6").createSshSession().catch((error) => {
    // Refusing the session outright is acceptable too.
    assert.ok(error instanceof SandgateError, String(error));
    return undefined;
  }) ?? { async [ASYNC_DISPOSE]() {}, authorizeKey: undefined };
  if (session.authorizeKey) {
    await assert.rejects(session.authorizeKey(PUBLIC_KEY), SandgateError);
  }
  assert.ok(!seen.some((url) => url.startsWith("http://gateway.example")), seen.join(", "));
});

test("plain http: to a non-loopback host is refused at construction", () => {
  for (
    const baseUrl of ["http://api.primeintellect.ai", "http://10.0.0.1:8080", "http://0.0.0.0"]
  ) {
    assert.throws(() => new PrimeIntellect({ apiKey: "k", baseUrl }), ConfigError, baseUrl);
    assert.throws(() => createPrimeIntellectClient({ apiKey: "k", baseUrl }), ConfigError);
  }
  assert.throws(
    () => new Tensorlake({ apiKey: "k", proxyUrl: "http://sandbox.example" }).sandbox("hyg-7"),
    (e: unknown) => e instanceof ConfigError || e instanceof InvalidArgumentError,
  );
  assert.throws(
    () => new Tensorlake({ apiKey: "k" }).sandbox("http://sb.example.com"),
    InvalidArgumentError,
  );
  // Loopback stays allowed for local emulators.
  for (const baseUrl of ["http://localhost:8080", "http://127.0.0.1:1", "http://[::1]:2"]) {
    new PrimeIntellect({ apiKey: "k", baseUrl });
  }
});
