/**
 * Fuzzed input for the low-level clients and client construction: every path
 * parameter either reaches a spec path whose segment decodes to exactly the
 * given id, or is refused with `InvalidArgumentError` before any request;
 * base URLs and Tensorlake sandbox ids/endpoints are accepted only when safe.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ConfigError,
  createPrimeIntellectClient,
  createTensorlakeClient,
  InvalidArgumentError,
  SandgateError,
} from "../../mod.ts";
import { tensorlakeRoute } from "../../src/tensorlake/client.ts";
import { FC_PARAMS, hostileString, NASTY_FRAGMENTS, plainId } from "./_arbitraries.ts";
import { SpecValidator } from "./_spec_schemas.ts";

const prime = new SpecValidator("primeintellect");
const tensorlake = new SpecValidator("tensorlake");

function recorder(respond: (r: Request) => Response = () => Response.json({})) {
  const requests: Request[] = [];
  return {
    requests,
    fetch: (request: Request) => {
      requests.push(request);
      return Promise.resolve(respond(request));
    },
  };
}

async function sentOrRefused(
  call: () => Promise<unknown>,
  requests: Request[],
  spec: SpecValidator,
  expected: Record<string, string>,
): Promise<"sent" | "refused"> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  if (error !== undefined) {
    assert.ok(
      error instanceof InvalidArgumentError,
      `expected InvalidArgumentError, got ${String(error)}`,
    );
    assert.equal(requests.length, 0, "a refused call must not send anything");
    return "refused";
  }
  assert.equal(requests.length, 1, "exactly one request");
  assert.deepEqual(await spec.check(requests[0]!, expected), []);
  return "sent";
}

test("Prime Intellect path ids: sent with an exact, traversal-free path, or refused before fetch", async () => {
  const outcomes = { sent: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(hostileString(), plainId()),
      fc.oneof(hostileString(), plainId()),
      async (sandboxId, exposureId) => {
        const { requests, fetch } = recorder(() => Response.json({ success: true, message: "" }));
        const client = createPrimeIntellectClient({
          apiKey: "k",
          fetch,
          retry: false,
          rateLimit: false,
        });
        outcomes[
          await sentOrRefused(
            () =>
              client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
                params: { path: { sandbox_id: sandboxId, exposure_id: exposureId } },
              }),
            requests,
            prime,
            { sandbox_id: sandboxId, exposure_id: exposureId },
          )
        ]++;
      },
    ),
    FC_PARAMS,
  );
  // Both branches were exercised: the property is not vacuous.
  assert.ok(outcomes.sent > 20 && outcomes.refused > 20, JSON.stringify(outcomes));
});

test("Tensorlake PTY ids: sent with an exact path, or refused before fetch", async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(hostileString(), plainId()), async (sessionId) => {
      const { requests, fetch } = recorder(() => new Response(null, { status: 204 }));
      const client = createTensorlakeClient({
        apiKey: "k",
        sandbox: "sb-1",
        fetch,
        retry: false,
        rateLimit: false,
      });
      await sentOrRefused(
        () =>
          client.POST("/api/v1/pty/{session_id}/resize", {
            params: { path: { session_id: sessionId } },
            body: { rows: 24, cols: 80 },
          }),
        requests,
        tensorlake,
        { session_id: sessionId },
      );
    }),
    FC_PARAMS,
  );
});

test("plain ids are never refused (the guard is not over-eager)", async () => {
  await fc.assert(
    fc.asyncProperty(plainId(), async (id) => {
      const { requests, fetch } = recorder(() => new Response(null, { status: 204 }));
      const client = createTensorlakeClient({
        apiKey: "k",
        sandbox: "sb-1",
        fetch,
        retry: false,
        rateLimit: false,
      });
      await client.DELETE("/api/v1/pty/{session_id}", { params: { path: { session_id: id } } });
      assert.equal(requests.length, 1);
      assert.deepEqual(await tensorlake.check(requests[0]!, { session_id: id }), []);
    }),
    FC_PARAMS,
  );
});

test("Tensorlake sandbox id or endpoint: a safe https/loopback origin, or InvalidArgumentError", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        hostileString(),
        plainId(),
        fc.constantFrom(...NASTY_FRAGMENTS).map((f) => `https://sb${f}.example`),
        fc.constantFrom(
          "http://evil.example",
          "http://127.0.0.1:8080",
          "http://localhost:1",
          "https://user:pw@sb.example",
          "https://sb.example/path",
          "https://sb.example/?q",
          "https://sb.example#f",
          "file:///etc/passwd",
          "javascript:alert(1)",
          "http://[::1]:9",
          "http://127.0.0.1.evil.example",
          "http://localhost.evil.example",
        ),
      ),
      (sandbox) => {
        let url: string;
        try {
          url = tensorlakeRoute(sandbox).baseUrl;
        } catch (error) {
          assert.ok(error instanceof InvalidArgumentError, String(error));
          return;
        }
        const parsed = new URL(url);
        assert.equal(parsed.origin, url, "an origin, with no path, query or credentials");
        const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(parsed.hostname) ||
          parsed.hostname.endsWith(".localhost");
        assert.ok(parsed.protocol === "https:" || loopback, `insecure: ${url}`);
        if (!sandbox.includes("://")) {
          assert.equal(parsed.hostname, `${sandbox.toLowerCase()}.sandbox.tensorlake.ai`);
        }
      },
    ),
    FC_PARAMS,
  );
});

test("base URLs: plain http: to a non-loopback host is a ConfigError", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.webUrl({ validSchemes: ["http", "https"] }),
        hostileString(),
        fc.constantFrom(
          "http://api.primeintellect.ai",
          "http://10.0.0.1",
          "http://127.0.0.1.nip.io",
          "http://localhost:8080",
          "http://127.0.0.1:1",
          "http://[::1]:2",
          "HTTP://EXAMPLE.COM",
          "ftp://example.com",
          "https://example.com",
        ),
      ),
      (baseUrl) => {
        try {
          createPrimeIntellectClient({ apiKey: "k", baseUrl, fetch: () => Promise.reject() });
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          return;
        }
        const url = new URL(baseUrl);
        const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname) ||
          url.hostname.endsWith(".localhost");
        assert.ok(url.protocol === "https:" || (url.protocol === "http:" && loopback), baseUrl);
      },
    ),
    FC_PARAMS,
  );
  for (
    const bad of ["http://api.primeintellect.ai", "http://10.0.0.1", "http://127.0.0.1.nip.io"]
  ) {
    assert.throws(() => createPrimeIntellectClient({ apiKey: "k", baseUrl: bad }), ConfigError);
  }
});

test("every error the low-level clients throw for bad input is a SandgateError", async () => {
  await fc.assert(
    fc.asyncProperty(hostileString(), async (id) => {
      const { fetch } = recorder();
      const client = createPrimeIntellectClient({ apiKey: "k", fetch, retry: false });
      try {
        await client.POST("/api/v1/sandbox/{sandbox_id}/ssh-session", {
          params: { path: { sandbox_id: id } },
          body: {},
        });
      } catch (error) {
        assert.ok(error instanceof SandgateError, String(error));
      }
    }),
    { ...FC_PARAMS, numRuns: Math.min(FC_PARAMS.numRuns, 200) },
  );
});
