// bufferResponse's in-memory response (issue 25): reads the bytes without building a body
// stream, and still behaves as a Response with a body: one read, then "used"; `body`,
// `clone()` and `blob()` on demand; statuses without a body stay bodiless.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bufferResponse } from "../../src/http/body.ts";

const json = '{"session_id":"pty-1","rows":24}';
const answer = (body: BodyInit | null = json, status = 200) =>
  bufferResponse(
    new Response(body, {
      status,
      headers: { "content-type": "application/json", "x-request-id": "r1" },
    }),
    undefined,
    "test",
  );

test("each reader gets the bytes once; a second read rejects like a used body", async () => {
  const read = {
    json: async (r: Response) =>
      assert.deepEqual(await r.json(), { session_id: "pty-1", rows: 24 }),
    text: async (r: Response) => assert.equal(await r.text(), json),
    arrayBuffer: async (r: Response) =>
      assert.equal(new TextDecoder().decode(await r.arrayBuffer()), json),
    bytes: async (r: Response) => assert.equal(new TextDecoder().decode(await r.bytes()), json),
    blob: async (r: Response) => assert.equal(await (await r.blob()).text(), json),
    body: async (r: Response) => {
      const reader = r.body!.getReader();
      let text = "";
      for (let i = 0; i < 100; i++) {
        const { done, value } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      assert.equal(text, json);
    },
  };
  for (const [name, first] of Object.entries(read)) {
    const response = await answer();
    assert.ok(response instanceof Response, name);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-request-id"), "r1");
    assert.equal(response.bodyUsed, false, name);
    await first(response);
    assert.equal(response.bodyUsed, true, name);
    await assert.rejects(response.text(), TypeError, name);
    await assert.rejects(response.json(), TypeError, name);
  }
});

test("clone() before reading gives two readable copies", async () => {
  const response = await answer();
  const copy = response.clone();
  assert.equal(await copy.text(), json);
  assert.deepEqual(await response.json(), { session_id: "pty-1", rows: 24 });
});

test("invalid JSON is a SyntaxError, as Response.json() throws; a BOM is skipped", async () => {
  await assert.rejects((await answer("{not json")).json(), SyntaxError);
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('{"a":1}')]);
  assert.deepEqual(await (await answer(bom)).json(), { a: 1 });
});

test("an error status keeps its body; 204 has none", async () => {
  const failed = await answer('{"error":"nope"}', 404);
  assert.equal(failed.ok, false);
  assert.deepEqual(await failed.json(), { error: "nope" });
  const empty = await answer(null, 204);
  assert.equal(empty.body, null);
  assert.equal(await empty.text(), "");
});
