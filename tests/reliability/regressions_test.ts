/**
 * Regression tests for SDK bugs the reliability suite found (lone-surrogate
 * path ids, a missing Tensorlake sandbox id): each failed before its fix.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createPrimeIntellectClient,
  createTensorlakeClient,
  InvalidArgumentError,
  PrimeIntellect,
  Tensorlake,
} from "../../mod.ts";

function recorder() {
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    requests.push(request);
    return Promise.resolve(Response.json({ success: true, message: "" }));
  };
  return { requests, fetch };
}

const LONE_SURROGATES = ["a\ud800b", "\udfff", "x\ud83d"];

test("regression: a path id with a lone surrogate is an InvalidArgumentError before any request (high-level)", async () => {
  for (const id of LONE_SURROGATES) {
    const { requests, fetch } = recorder();
    const prime = new PrimeIntellect({ apiKey: "k", fetch });
    // Was: NetworkError "unexposePort: network error: URI malformed".
    await assert.rejects(prime.sandbox("sb").unexposePort(id), InvalidArgumentError);
    assert.throws(() => prime.sandbox(id), InvalidArgumentError);
    const tensorlake = new Tensorlake({ apiKey: "k", fetch });
    await assert.rejects(tensorlake.sandbox("sb").killPty(id), InvalidArgumentError);
    assert.equal(requests.length, 0);
  }
});

test("regression: a path id with a lone surrogate is an InvalidArgumentError, not a URIError (low-level)", async () => {
  for (const id of LONE_SURROGATES) {
    const { requests, fetch } = recorder();
    const prime = createPrimeIntellectClient({ apiKey: "k", fetch });
    // Was: openapi-fetch's encodeURIComponent throws URIError before the guard runs.
    await assert.rejects(
      prime.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
        params: { path: { sandbox_id: "sb", exposure_id: id } },
      }),
      InvalidArgumentError,
    );
    const tensorlake = createTensorlakeClient({ apiKey: "k", sandbox: "sb", fetch });
    await assert.rejects(
      tensorlake.DELETE("/api/v1/pty/{session_id}", { params: { path: { session_id: id } } }),
      InvalidArgumentError,
    );
    assert.equal(requests.length, 0);
  }
});

test("regression: tensorlake.sandbox() without an id is an InvalidArgumentError, not a ConfigError", () => {
  const tensorlake = new Tensorlake({ apiKey: "k", fetch: () => Promise.reject() });
  // Was: ConfigError "Tensorlake: pass `sandbox` (id or ingress endpoint) or `baseUrl`".
  assert.throws(() => tensorlake.sandbox(undefined as unknown as string), InvalidArgumentError);
});
