/**
 * Hostile servers, part one: bodies and connections. A 200 whose body
 * trickles or never ends, a body cut off by a reset, a huge error body, and a
 * server that drops a reused keep-alive connection after reading a POST.
 * Real servers on 127.0.0.1; the client's budget runs on a fake clock, so
 * nothing here waits for a timeout in real time.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NetworkError, PrimeIntellect, TimeoutError } from "../../mod.ts";
import { asyncDispose } from "../../src/handle.ts";
import { MAX_ERROR_BODY_BYTES } from "../../src/http/body.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { settleWithin, startHostileServer, trickle, until } from "./_hostile_server.ts";

const KEY = "sk-hostile-body-9f3Kq2";

function exposure(id: string) {
  return {
    exposure_id: id,
    sandbox_id: "sb-h",
    port: 8000,
    name: null,
    protocol: "HTTP",
    url: `https://${id}.example.test`,
    tls_socket: `${id}.example.test:443`,
  };
}

/** A client with a 1 s budget on a fake clock, no retries, no client-side limit. */
function budgeted(baseUrl: string) {
  const clock = new FakeClock();
  const prime = new PrimeIntellect({
    apiKey: KEY,
    baseUrl,
    clock,
    timeoutMs: 1_000,
    retry: false,
    rateLimit: false,
  });
  return { clock, prime };
}

test("timeoutMs covers a trickling 200 body: listExposures rejects with TimeoutError", async () => {
  const server = await startHostileServer(async (exchange) => {
    exchange.res.writeHead(200, { "content-type": "application/json" });
    exchange.res.flushHeaders();
    await trickle(exchange, " ", 20);
  });
  try {
    const { clock, prime } = budgeted(server.url);
    const settled = settleWithin(prime.sandbox("sb-trickle").listExposures(), 5_000);
    await until(() => server.received.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // headers and a few pieces arrive
    await clock.tickAsync(1_000);
    const outcome = await settled;
    // Was: the timer stopped at the headers, so the call hung as long as the body trickled.
    assert.equal(outcome.hung, false, "the call outlived its timeoutMs");
    assert.ok(!outcome.hung && outcome.error instanceof TimeoutError, String(outcome));
  } finally {
    await server.close();
  }
});

test("timeoutMs covers an endless body on `await using` disposal (DELETE)", async () => {
  const server = await startHostileServer(async (exchange) => {
    if (exchange.received.method === "POST") {
      exchange.res.writeHead(200, { "content-type": "application/json" });
      exchange.res.end(JSON.stringify(exposure("exp-endless")));
      return;
    }
    exchange.res.writeHead(200, { "content-type": "application/json" });
    exchange.res.write('{"success": true, "message": "');
    await trickle(exchange, "x", 20);
  });
  try {
    const { clock, prime } = budgeted(server.url);
    const handle = await prime.sandbox("sb-endless").exposePort({ port: 8000 });
    const settled = settleWithin(Promise.resolve(handle[asyncDispose]()), 5_000);
    await until(() => server.received.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await clock.tickAsync(1_000);
    const outcome = await settled;
    assert.equal(outcome.hung, false, "disposal hung on an endless body");
  } finally {
    await server.close();
  }
});

test("a GET whose body is cut off by a reset is retried", async () => {
  let gets = 0;
  const server = await startHostileServer((exchange) => {
    gets++;
    exchange.res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
    if (gets === 1) {
      exchange.res.write('{"exposures": [');
      setTimeout(() => exchange.socket.destroy(), 20);
      return;
    }
    const body = JSON.stringify({ exposures: [] });
    exchange.res.end(body.padEnd(100, " "));
  });
  try {
    const prime = new PrimeIntellect({
      apiKey: KEY,
      baseUrl: server.url,
      retry: { retries: 2, baseDelayMs: 0, maxDelayMs: 0 },
      rateLimit: false,
    });
    const outcome = await settleWithin(prime.sandbox("sb-reset").listExposures(), 5_000);
    // Was: the reset surfaced while openapi-fetch parsed the body, above the retry layer.
    assert.ok(!outcome.hung && outcome.error === undefined, String(!outcome.hung && outcome.error));
    assert.equal(gets, 2);
  } finally {
    await server.close();
  }
});

test("an error body is read with a cap: a huge 500 body is not held in memory", async () => {
  let written = 0;
  const server = await startHostileServer(async (exchange) => {
    exchange.res.writeHead(500, { "content-type": "text/plain" });
    const piece = "e".repeat(64 * 1024);
    let closed = false;
    const gone = new Promise<void>((resolve) => {
      exchange.res.once("close", () => {
        closed = true;
        resolve();
      });
    });
    // Up to 64 MiB, but the client stops reading long before.
    for (let i = 0; i < 1024 && !closed; i++) {
      const ok = exchange.res.write(piece);
      written += piece.length;
      if (!ok) {
        let onDrain = () => {};
        await Promise.race([
          new Promise<void>((resolve) => exchange.res.once("drain", onDrain = resolve)),
          gone,
          exchange.closing,
        ]);
        exchange.res.off("drain", onDrain);
      }
    }
    exchange.res.end();
  });
  try {
    const prime = new PrimeIntellect({
      apiKey: KEY,
      baseUrl: server.url,
      retry: false,
      rateLimit: false,
    });
    const outcome = await settleWithin(prime.sandbox("sb-huge").listExposures(), 10_000);
    assert.ok(!outcome.hung && outcome.error instanceof Error);
    // The client cancelled the body: the server could not write anywhere near 64 MiB.
    assert.ok(written < 32 * 1024 * 1024, `server wrote ${written} bytes`);
    const message = (outcome as { error: Error }).error.message;
    assert.ok(message.length < MAX_ERROR_BODY_BYTES, "the message is bounded");
  } finally {
    await server.close();
  }
});

test("a POST reaches the server once when it drops a reused keep-alive connection (default fetch)", async () => {
  const server = await startHostileServer((exchange) => {
    if (exchange.received.method === "POST") {
      // Read the whole POST, then drop the (reused) connection without answering.
      exchange.socket.destroy();
      return;
    }
    exchange.res.writeHead(200, { "content-type": "application/json", connection: "keep-alive" });
    exchange.res.end(JSON.stringify({ exposures: [] }));
  });
  try {
    const prime = new PrimeIntellect({ apiKey: KEY, baseUrl: server.url, rateLimit: false });
    const sandbox = prime.sandbox("sb-keepalive");
    await sandbox.listExposures(); // opens the keep-alive connection
    await sandbox.listExposures(); // and reuses it
    const outcome = await settleWithin(sandbox.exposePort({ port: 8000 }), 5_000);
    assert.ok(!outcome.hung && outcome.error instanceof NetworkError, String(outcome));
    const posts = server.received.filter((r) => r.method === "POST");
    // Was: 2 on Deno (its fetch resent the POST on a new connection).
    assert.equal(posts.length, 1, `the POST reached the server ${posts.length} times`);
  } finally {
    await server.close();
  }
});
