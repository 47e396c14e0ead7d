// `sandgate expose --wait` through the real bin: the URL is printed only once the service answers
// through it (a gateway 502 first), and a port that never answers is unexposed again (exit 7).
// The API is a small handler of our own served on loopback whose exposure URL points at a
// loopback HTTP server the test runs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { serve } from "../../src/testing/mod.ts";
import { answeringLookups } from "../helpers/fake_fetch.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { cli, skipCli } from "./_helpers.ts";

async function world(answer: (n: number) => number) {
  let n = 0;
  const service = createServer((_req, res) => {
    const status = answer(++n);
    res.writeHead(status, { "content-type": "text/html" }).end(`<h1>${status}</h1>`);
  });
  const port = await listenOnLoopback(service);
  const url = `http://127.0.0.1:${port}/`;
  const calls: string[] = [];
  const api = await serve({
    fetch: answeringLookups((request: Request) => {
      calls.push(`${request.method} ${new URL(request.url).pathname}`);
      if (request.method === "DELETE") {
        return Promise.resolve(Response.json({ success: true, message: "removed" }));
      }
      return Promise.resolve(Response.json({
        exposure_id: "exp-w",
        sandbox_id: "sb",
        port: 8000,
        name: null,
        protocol: "HTTP",
        url,
        tls_socket: `127.0.0.1:${port}`,
      }));
    }),
  });
  return {
    url,
    calls,
    probes: () => n,
    env: { PRIME_API_KEY: "k", PRIME_API_BASE_URL: api.url },
    async close() {
      await api.close();
      await new Promise<void>((resolve) => service.close(() => resolve()));
    },
  };
}

describe("sandgate expose --wait", { skip: skipCli }, () => {
  test("prints the URL once the service answers; the gateway's 502 page was 'not yet'", async () => {
    const w = await world((n) => (n < 3 ? 502 : 200));
    try {
      const result = await cli(["expose", "sb", "8000", "--wait"], w.env);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${w.url}\n`);
      assert.equal(w.probes(), 3);
      assert.deepEqual(w.calls, ["POST /api/v1/sandbox/sb/expose"]);
    } finally {
      await w.close();
    }
  });

  test("a port that never answers: TimeoutError, exit 7, unexposed again, no URL printed", async () => {
    const w = await world(() => 503);
    try {
      const result = await cli(["expose", "sb", "8000", "--wait", "--ready-timeout", "1"], w.env);
      assert.equal(result.code, 7, result.stderr);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /TimeoutError: .*did not answer within 1\.0 s .*HTTP 503/);
      assert.deepEqual(w.calls, [
        "POST /api/v1/sandbox/sb/expose",
        "DELETE /api/v1/sandbox/sb/expose/exp-w",
      ]);
    } finally {
      await w.close();
    }
  });

  test("--ready-timeout without --wait is a usage error before anything is sent", async () => {
    const w = await world(() => 200);
    try {
      const result = await cli(["expose", "sb", "8000", "--ready-timeout", "5"], w.env);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--ready-timeout needs --wait/);
      assert.deepEqual(w.calls, []);
    } finally {
      await w.close();
    }
  });
});
