import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { createPrimeIntellectClient, NetworkError } from "../../mod.ts";
import { classifyNetworkError } from "../../src/middleware/network.ts";
import { sha256Hex, tokenHasher } from "../../src/middleware/token_hash.ts";
import { FakeClock } from "../helpers/fake_clock.ts";
import { EXPOSE } from "./support.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

test("connection refused and DNS failures count as never sent, in every runtime's spelling", () => {
  const cases: unknown[] = [
    // Node (undici): TypeError("fetch failed") with a coded cause.
    new TypeError("fetch failed", {
      cause: withCode("connect ECONNREFUSED 1.2.3.4:443", "ECONNREFUSED"),
    }),
    new TypeError("fetch failed", {
      cause: withCode("getaddrinfo ENOTFOUND x.invalid", "ENOTFOUND"),
    }),
    new TypeError("fetch failed", { cause: withCode("getaddrinfo EAI_AGAIN x", "EAI_AGAIN") }),
    // Bun: the code is on the error itself.
    Object.assign(new TypeError("Unable to connect"), { code: "ConnectionRefused" }),
    withCode("ECONNREFUSED: Unable to connect.", "ECONNREFUSED"),
    // Deno: only the cause's message tells.
    new TypeError("fetch failed", {
      cause: new Error(
        "error sending request for url (https://x/): client error (Connect): tcp connect error: Connection refused (os error 111)",
      ),
    }),
    new TypeError("fetch failed", {
      cause: new Error(
        "error sending request for url (https://x/): client error (Connect): dns error: failed to lookup address information",
      ),
    }),
  ];
  for (const error of cases) {
    assert.equal(classifyNetworkError(error).neverSent, true, String(error));
  }
});

test("anything else may have reached the server", () => {
  const cases: unknown[] = [
    new TypeError("fetch failed", { cause: withCode("socket hang up", "ECONNRESET") }),
    new TypeError("fetch failed", { cause: withCode("read ETIMEDOUT", "ETIMEDOUT") }),
    new TypeError("fetch failed", {
      cause: withCode("certificate has expired", "CERT_HAS_EXPIRED"),
    }),
    new TypeError("fetch failed"),
    new Error("Connection refused by the proxy after the request was forwarded"),
    "a string",
    undefined,
  ];
  for (const error of cases) {
    assert.equal(classifyNetworkError(error).neverSent, false, String(error));
  }
  assert.equal(classifyNetworkError(cases[0]).code, "ECONNRESET");
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test("a real refused connection is a NetworkError with neverSent = true", async () => {
  const port = await closedPort();
  const client = createPrimeIntellectClient({
    apiKey: "sk-test-network-key-0001",
    baseUrl: `http://127.0.0.1:${port}`,
    clock: new FakeClock(),
    retry: false,
    rateLimit: false,
  });
  await assert.rejects(
    client.POST(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, body: { port: 8080 } }),
    (error: unknown) => {
      assert.ok(error instanceof NetworkError, String(error));
      assert.equal(error.neverSent, true);
      assert.match(
        error.message,
        /^exposePort: network error reaching 127\.0\.0\.1:\d+ \(ECONNREFUSED\); the request was not sent$/,
      );
      return true;
    },
  );
});

test("a NetworkError keeps the cause but never the request", async () => {
  const cause = new TypeError("fetch failed", { cause: withCode("socket hang up", "ECONNRESET") });
  const client = createPrimeIntellectClient({
    apiKey: "sk-test-network-key-0002",
    fetch: () => Promise.reject(cause),
    clock: new FakeClock(),
    retry: false,
    rateLimit: false,
  });
  await assert.rejects(
    client.GET(EXPOSE, { params: { path: { sandbox_id: "sb-1" } } }),
    (error: unknown) => {
      assert.ok(error instanceof NetworkError);
      assert.equal(error.neverSent, false);
      assert.equal(error.cause, cause);
      assert.equal(
        error.message,
        "listExposures: network error reaching api.primeintellect.ai (ECONNRESET)",
      );
      let link: unknown = error;
      for (let i = 0; i < 5 && link; i++) {
        for (const value of Object.values(link as object)) assert.ok(!(value instanceof Request));
        link = (link as { cause?: unknown }).cause;
      }
      return true;
    },
  );
});

test("token hashes are SHA-256 prefixes, cached for the last key", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(
    sha256Hex("a".repeat(56)),
    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
  );
  assert.equal(sha256Hex("é😀"), sha256Hex("\u00e9\u{1f600}"));
  const hash = tokenHasher();
  assert.equal(hash("abc"), "ba7816bf8f01");
  assert.equal(hash("abc"), "ba7816bf8f01");
  assert.notEqual(hash("abd"), "ba7816bf8f01");
});

test("sha256Hex agrees with Web Crypto", async () => {
  for (
    const text of ["", "abc", "x".repeat(55), "x".repeat(64), "é😀".repeat(50), "k".repeat(999)]
  ) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    assert.equal(sha256Hex(text), hex);
  }
});
