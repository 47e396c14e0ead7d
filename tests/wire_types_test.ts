// Compile-time checks: `deno check` (part of `npm test`) fails when a
// `@ts-expect-error` below stops being an error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrimeIntellectClient, createTensorlakeClient } from "../mod.ts";
import { exhaustive } from "../src/util/exhaustive.ts";

const neverFetch = () => Promise.reject(new Error("not called"));

test("the low-level clients are typed by the generated paths", () => {
  const prime = createPrimeIntellectClient({ apiKey: "k", fetch: neverFetch });
  const tensorlake = createTensorlakeClient({ apiKey: "k", sandbox: "sb", fetch: neverFetch });
  // Wrapped in functions that are never called: only the types matter here.
  const calls = [
    () =>
      prime.POST("/api/v1/sandbox/{sandbox_id}/expose", {
        params: { path: { sandbox_id: "sb" } },
        // @ts-expect-error `prt` is not a field of ExposePortRequest (and `port` is required)
        body: { prt: 8000 },
      }),
    () =>
      prime.POST("/api/v1/sandbox/{sandbox_id}/expose", {
        params: { path: { sandbox_id: "sb" } },
        // @ts-expect-error port must be a number
        body: { port: "8000" },
      }),
    () =>
      // @ts-expect-error the path does not exist
      prime.GET("/api/v1/sandbox/{sandbox_id}/nope", { params: { path: { sandbox_id: "sb" } } }),
    () =>
      tensorlake.POST("/api/v1/pty/{session_id}/resize", {
        params: { path: { session_id: "p" } },
        // @ts-expect-error resize needs rows and cols
        body: { rows: 10 },
      }),
  ];
  assert.equal(calls.length, 4);
});

test("exhaustive: a list that leaves out a member of the union, or adds one, does not type-check", () => {
  interface Options {
    limit?: number;
    windowMs?: number;
  }
  const every = exhaustive<keyof Options>();
  assert.deepEqual(every(["limit", "windowMs"]), ["limit", "windowMs"]);
  // @ts-expect-error `windowMs` is missing (an option added to the interface but not to the list)
  every(["limit"]);
  // @ts-expect-error `limt` is not a key of Options
  every(["limt", "windowMs"]);
});
