// Deferred requests (issue 25): one runtime `Request` per call, built inside `fetch` from the
// parts, while every layer and a caller's own `fetch` still see a `Request` that behaves as one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { deferredRequest, fetchArguments, realRequest } from "../../src/http/outgoing.ts";
import { createPrimeIntellectClient, PrimeIntellect } from "../../mod.ts";

const URL_A = "https://api.example.com/api/v1/sandbox/sb/expose";

test("a deferred request reads as the Request it stands for, and is built once, on demand", async () => {
  const signal = new AbortController().signal;
  const request = deferredRequest(URL_A, {
    method: "POST",
    headers: new Headers({ "content-type": "application/json" }),
    body: '{"port":80}',
    signal,
  });
  assert.ok(request instanceof Request);
  assert.equal(request.url, URL_A);
  assert.equal(request.method, "POST");
  assert.equal(request.headers.get("content-type"), "application/json");
  assert.equal(request.signal, signal);
  assert.equal(request.redirect, "follow");
  const [input, init] = fetchArguments(request);
  assert.equal(input, URL_A);
  assert.equal(init?.body, '{"port":80}');
  // Anything else builds the real one, once: the body reads once, like a Request's.
  assert.equal(realRequest(request), realRequest(request));
  assert.equal(await request.clone().text(), '{"port":80}');
  assert.deepEqual(await request.json(), { port: 80 });
  assert.equal(request.bodyUsed, true);
  await assert.rejects(request.text(), TypeError);
  // Built: `fetch` gets the real (used) one, never the parts a second time.
  const sent = fetchArguments(request);
  assert.equal(sent.length, 1);
  assert.equal(sent[0], realRequest(request));
});

test("a deferred request over another keeps one set of parts; over a Request, that Request", () => {
  const inner = deferredRequest("https://api.example.com/a?b=1", {
    method: "GET",
    headers: new Headers({ "x-one": "1" }),
    cache: "no-store",
  });
  const outer = deferredRequest(inner, {
    headers: new Headers({ "x-two": "2" }),
    redirect: "manual",
  });
  const [input, init] = fetchArguments(outer);
  assert.equal(input, "https://api.example.com/a?b=1");
  assert.equal(init?.cache, "no-store");
  assert.equal(init?.redirect, "manual");
  assert.equal(outer.headers.get("x-one"), null);
  assert.equal(outer.headers.get("x-two"), "2");
  assert.equal(realRequest(outer).url, "https://api.example.com/a?b=1");

  const real = new Request("https://api.example.com/c", { method: "DELETE" });
  const over = deferredRequest(real, { headers: new Headers(), redirect: "manual" });
  assert.equal(over.method, "DELETE");
  assert.equal(fetchArguments(over)[0], real);
  assert.equal(realRequest(over).redirect, "manual");
  // An invalid URL fails as a Request's would, once read (the pipeline reads it before sending).
  const invalid = deferredRequest("not a url", { headers: new Headers() });
  assert.throws(() => invalid.url, TypeError);
});

test("a caller's fetch gets a runtime Request with the key, the body and the call's signal", async () => {
  const seen: Request[] = [];
  const fetch = (request: Request) => {
    seen.push(request);
    // A runtime Request: another can be built from it.
    assert.equal(new Request(request.clone()).url, request.url);
    return Promise.resolve(Response.json({ exposures: [] }));
  };
  const prime = new PrimeIntellect({ apiKey: "k", fetch });
  const controller = new AbortController();
  await prime.sandbox("sb-1").listExposures({ signal: controller.signal });
  const low = createPrimeIntellectClient({ apiKey: "k", fetch });
  await low.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "sb-1" } },
    body: { port: 2200 },
  });
  // listExposures looks the sandbox up first.
  assert.deepEqual(seen.map((r) => `${r.method} ${new URL(r.url).pathname}`), [
    "GET /api/v1/sandbox/sb-1",
    "GET /api/v1/sandbox/sb-1/expose",
    "POST /api/v1/sandbox/sb-1/expose",
  ]);
  for (const request of seen) {
    assert.equal(Object.getPrototypeOf(request), Request.prototype);
    assert.equal(request.headers.get("authorization"), "Bearer k");
    assert.equal(request.redirect, "manual");
  }
  assert.equal(seen[1]!.signal.aborted, false);
  controller.abort();
  assert.equal(seen[1]!.signal.aborted, true);
  assert.deepEqual(await seen[2]!.json(), { port: 2200 });
});
