import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient, NetworkError } from "../../mod.ts";
import { classifyNetworkError } from "../../src/middleware/network.ts";
import { digestHex, toHex, tokenHasher } from "../../src/util/hash.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { EXPOSE } from "./_support.ts";
import { freePort } from "../helpers/loopback.ts";

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

test("a real refused connection is a NetworkError with neverSent = true", async () => {
  const port = await freePort();
  const client = createPrimeIntellectClient({
    apiKey: "sk-test-network-key-0001",
    baseUrl: `http://127.0.0.1:${port}`,
    clock: new FakeClock(),
    retry: false,
    rateLimit: false,
  });
  await assert.rejects(
    client.POST(EXPOSE, { params: { path: { sandbox_id: "sb-1" } }, body: { port: 8000 } }),
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

test("digestHex: Web Crypto SHA-256 and SHA-1 test vectors, UTF-8 text and bytes alike", async () => {
  assert.equal(
    await digestHex("SHA-256", ""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assert.equal(
    await digestHex("SHA-256", "a".repeat(56)),
    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
  );
  assert.equal(await digestHex("SHA-1", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    await digestHex("SHA-256", "é😀"),
    await digestHex("SHA-256", new TextEncoder().encode("\u00e9\u{1f600}")),
  );
  assert.equal(toHex(new Uint8Array([0, 1, 0x7f, 0x80, 0xff])), "00017f80ff");
  assert.equal(toHex(new Uint8Array([0xab]).buffer), "ab");
});

test("tokenHasher: hashes each key once, answers a known key without a promise", async () => {
  let digests = 0;
  const subtle = crypto.subtle;
  const original = subtle.digest;
  subtle.digest = function (this: SubtleCrypto, ...args: Parameters<SubtleCrypto["digest"]>) {
    digests++;
    return original.apply(this, args);
  } as SubtleCrypto["digest"];
  try {
    const hash = tokenHasher();
    const first = hash("abc");
    assert.ok(first instanceof Promise, "a new key is hashed asynchronously");
    assert.equal(hash("abc"), first, "a key being hashed is not hashed again");
    assert.equal(await first, "ba7816bf8f01");
    assert.equal(hash("abc"), "ba7816bf8f01", "a known key is named synchronously");
    const other = await hash("abd");
    assert.notEqual(other, "ba7816bf8f01");
    assert.equal(hash("abc"), "ba7816bf8f01", "alternating keys stay cached");
    assert.equal(hash("abd"), other);
    assert.equal(digests, 2);
  } finally {
    subtle.digest = original;
  }
});
