/**
 * Hostile servers, part two: secrets echoed back. The SSH session token in
 * `authorizeKey` errors (JSON, text, `Bearer …`, a header, a fetch error
 * naming it), and the API key in an unfollowed 3xx, as a response header
 * name, at 7 characters, and in a custom fetch's error properties. Every
 * rendering (message, stack, causes, JSON, inspect) is scanned.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PrimeIntellect, SandgateError } from "../../mod.ts";
import { renderings, SecretScanner } from "../helpers/secrets.ts";
import { type Exchange, startHostileServer } from "./_hostile_server.ts";

const API_KEY = "sk-SECRET-hostile-echo-4Kd8Pq1Zr7";
const TOKEN = "tok-SECRET-ssh-session-9Wm3Xv6Bn2";
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostile hostile@test";

function session(gateway: string) {
  return {
    session_id: "ssh-1",
    exposure_id: "exp-ssh-1",
    sandbox_id: "sb-secrets",
    host: "ssh.example.test",
    port: 2222,
    external_endpoint: "ssh.example.test:2222",
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    ttl_seconds: 600,
    gateway_url: gateway,
    user_ns: "ns",
    job_id: "job",
    token: TOKEN,
  };
}

type Echo = (exchange: Exchange) => void;

const TOKEN_ECHOES: Record<string, Echo> = {
  json: ({ res }) => {
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: `token ${TOKEN} is not valid`, detail: TOKEN }));
  },
  text: ({ res }) => {
    res.writeHead(403, { "content-type": "text/plain" });
    res.end(`forbidden for ${TOKEN}`);
  },
  bearer: ({ res, received }) => {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end(`bad header: ${received.headers.authorization}`);
  },
  header: ({ res }) => {
    res.writeHead(500, { "x-echo-token": TOKEN, "x-request-id": `req-${TOKEN}` });
    res.end();
  },
};

for (const [kind, echo] of Object.entries(TOKEN_ECHOES)) {
  test(`authorizeKey: the gateway echoing the session token (${kind}) does not leak it`, async () => {
    const server = await startHostileServer((exchange) => {
      if (exchange.received.url.endsWith("/authorize")) return echo(exchange);
      exchange.res.writeHead(200, { "content-type": "application/json" });
      exchange.res.end(JSON.stringify(session(`${server.url}/gw`)));
    });
    try {
      const prime = new PrimeIntellect({ apiKey: API_KEY, baseUrl: server.url, rateLimit: false });
      const ssh = await prime.sandbox("sb-secrets").createSshSession();
      const error = await ssh.authorizeKey(PUBLIC_KEY).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof SandgateError, String(error));
      const scanner = new SecretScanner({ apiKey: API_KEY, token: TOKEN });
      await scanner.scan(error, `authorizeKey ${kind}`);
      scanner.assertClean();
    } finally {
      await server.close();
    }
  });
}

test("authorizeKey: a fetch error naming the token header does not leak it", async () => {
  const created = session("https://gateway.example.test");
  const fetch = (request: Request): Promise<Response> => {
    if (request.url.endsWith("/authorize")) {
      const auth = request.headers.get("authorization");
      return Promise.reject(
        Object.assign(new TypeError(`invalid header value: authorization: ${auth}`), {
          request,
          headers: { authorization: auth },
          cause: Object.freeze(new Error(`while sending ${auth}`)),
        }),
      );
    }
    return Promise.resolve(Response.json(created));
  };
  const prime = new PrimeIntellect({ apiKey: API_KEY, fetch, rateLimit: false });
  const ssh = await prime.sandbox("sb-secrets-2").createSshSession();
  const error = await ssh.authorizeKey(PUBLIC_KEY).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof SandgateError, String(error));
  const scanner = new SecretScanner({ apiKey: API_KEY, token: TOKEN });
  await scanner.scan(error, "authorizeKey fetch error");
  scanner.assertClean();
});

const KEY_ECHOES: Record<string, Echo> = {
  "300 with the key in the body": ({ res, received }) => {
    res.writeHead(300, { "content-type": "text/plain" });
    res.end(`choose one: ${String(received.headers.authorization).slice("Bearer ".length)}`);
  },
  "301 without Location, key in a header": ({ res, received }) => {
    res.writeHead(301, { "x-echo": String(received.headers.authorization) });
    res.end(JSON.stringify({ error: String(received.headers.authorization) }));
  },
  "the key as a response header name": ({ res, received }) => {
    const key = String(received.headers.authorization).slice("Bearer ".length);
    res.writeHead(401, { [key]: "1", "content-type": "text/plain", "x-request-id": "r-42" });
    res.end("no");
  },
};

for (const [kind, echo] of Object.entries(KEY_ECHOES)) {
  test(`API key echoed by the server (${kind}) does not leak`, async () => {
    const server = await startHostileServer(echo);
    try {
      const prime = new PrimeIntellect({ apiKey: API_KEY, baseUrl: server.url, rateLimit: false });
      const error = await prime.sandbox("sb-echo").listExposures().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof SandgateError, String(error));
      // Header names come back lower-cased: that spelling is the key too.
      const scanner = new SecretScanner({ apiKey: API_KEY, lower: API_KEY.toLowerCase() });
      await scanner.scan(error, kind);
      scanner.assertClean();
      if (kind.includes("header name")) {
        // Only the offending header goes: the others (the request id) stay.
        assert.equal((error as { requestId?: string }).requestId, "r-42");
      }
    } finally {
      await server.close();
    }
  });
}

test("a 7-character API key echoed in a body, a header and a fetch error does not leak", async () => {
  const short = "q7Zx2Wp";
  const server = await startHostileServer(({ res }) => {
    res.writeHead(401, { "content-type": "application/json", "x-key": short });
    res.end(JSON.stringify({ error: `key ${short} rejected`, detail: `Bearer ${short}` }));
  });
  try {
    const prime = new PrimeIntellect({ apiKey: short, baseUrl: server.url, rateLimit: false });
    const error = await prime.sandbox("sb-short").listExposures().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof SandgateError);
    for (const { how, text } of await renderings(error)) {
      assert.ok(!text.includes(short), `the short key shows in ${how}`);
    }
  } finally {
    await server.close();
  }
});

test("inspect of a custom fetch's error properties does not show the API key", async () => {
  const fetch = (request: Request): Promise<Response> =>
    Promise.reject(
      Object.assign(new Error("upstream client failed"), {
        config: { headers: { Authorization: request.headers.get("authorization") } },
        request,
        headers: new Headers(request.headers),
        [Symbol("raw")]: request.headers.get("authorization"),
      }),
    );
  const prime = new PrimeIntellect({ apiKey: API_KEY, fetch, rateLimit: false, retry: false });
  const error = await prime.sandbox("sb-inspect").listExposures().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof SandgateError, String(error));
  const scanner = new SecretScanner({ apiKey: API_KEY });
  await scanner.scan(error, "custom fetch error");
  scanner.assertClean();
});
