import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { PrimeIntellect, Tensorlake } from "../../mod.ts";
import {
  prime,
  PTY_TOKEN,
  recordingFetch,
  SSH_TOKEN,
  sshBody,
  tensorlake,
} from "../helpers/fake_fetch.ts";

type Render = (value: unknown) => string;

/** Every way a user or a logger might print a value. */
function renderings(): [string, Render][] {
  const out: [string, Render][] = [
    ["JSON.stringify", (v) => JSON.stringify(v)],
    ["util.inspect", (v) => inspect(v)],
    ["util.inspect showHidden depth 5", (v) => inspect(v, { showHidden: true, depth: 5 })],
    ["String", (v) => String(v)],
    ["Object.keys/values", (v) => JSON.stringify(Object.entries(v as object))],
    ["spread", (v) => JSON.stringify({ ...(v as object) })],
  ];
  const deno = (globalThis as { Deno?: { inspect?: (v: unknown, o?: unknown) => string } }).Deno;
  if (deno?.inspect) {
    out.push(["Deno.inspect", (v) => deno.inspect!(v)]);
    out.push([
      "Deno.inspect getters",
      (v) => deno.inspect!(v, { getters: true, showHidden: true }),
    ]);
  }
  return out;
}

test("an SshSession keeps its token out of every rendering, yet returns it", async () => {
  const { fetch } = recordingFetch(() => Response.json(sshBody()));
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  assert.equal(session.token, SSH_TOKEN);
  assert.ok(!Object.keys(session).includes("token"));
  for (const [name, render] of renderings()) {
    const text = render(session);
    assert.ok(!text.includes(SSH_TOKEN), `${name}: ${text}`);
  }
  assert.match(inspect(session), /SshSession/);
  assert.match(inspect(session), /sess-abc/);
  assert.equal(JSON.parse(JSON.stringify(session)).sessionId, "sess-abc");
});

test("a Pty keeps its token out of every rendering, yet returns it", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
  );
  const pty = await tensorlake(fetch).sandbox("my-sb").createPty({ command: "bash" });
  assert.equal(pty.token, PTY_TOKEN);
  for (const [name, render] of renderings()) {
    const text = render(pty);
    assert.ok(!text.includes(PTY_TOKEN), `${name}: ${text}`);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(pty)), { sessionId: "pty-1" });
});

test("the clients and sandbox handles never show the API key", () => {
  const key = "sk-SECRET-apikey-7Qx9Lm2Vb8Kd4Rt6";
  const { fetch } = recordingFetch();
  const values: unknown[] = [
    new PrimeIntellect({ apiKey: key, fetch }),
    new PrimeIntellect({ apiKey: key, fetch }).sandbox("sb-1"),
    new Tensorlake({ apiKey: key, fetch }),
    new Tensorlake({ apiKey: key, fetch }).sandbox("my-sb"),
  ];
  for (const value of values) {
    for (const [name, render] of renderings()) {
      let text: string;
      try {
        text = render(value);
      } catch {
        continue; // e.g. JSON.stringify of a cyclic structure: nothing printed
      }
      assert.ok(!text.includes(key), `${name}: ${text}`);
      assert.ok(!text.includes("7Qx9Lm2V"), `${name}: ${text}`);
    }
  }
});
