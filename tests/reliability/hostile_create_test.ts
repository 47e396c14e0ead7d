/**
 * Hostile create answers and hostile inputs: a 2xx create answer that names
 * the new resource but fails the shape check must not lose it (it is removed,
 * and the error says so), and an input that changes between the check and
 * the send (a getter, a Proxy) is read once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PrimeIntellect, Tensorlake, UnexpectedResponseError } from "../../mod.ts";
import { startHostileServer } from "./_hostile_server.ts";

const KEY = "sk-hostile-create-5Tq8Wn";

test("exposePort: a 2xx answer with the id but no tls_socket removes the exposure it created", async () => {
  const server = await startHostileServer(({ received, res }) => {
    res.writeHead(200, { "content-type": "application/json" });
    if (received.method === "POST") {
      res.end(JSON.stringify({
        exposure_id: "exp-half",
        sandbox_id: "sb-c",
        port: 8000,
        protocol: "HTTP",
        url: "https://exp-half.example.test",
      }));
    } else res.end(JSON.stringify({ success: true, message: "removed" }));
  });
  try {
    const prime = new PrimeIntellect({ apiKey: KEY, baseUrl: server.url, rateLimit: false });
    const error = await prime.sandbox("sb-c").exposePort({ port: 8000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof UnexpectedResponseError, String(error));
    assert.match(error.message, /tls_socket/);
    assert.match(error.message, /the exposure it created was removed/);
    // A typed, documented field (was an untyped property added with Object.assign).
    const createdId: string | undefined = error.createdId;
    assert.equal(createdId, "exp-half");
    assert.ok(Object.hasOwn(error, "createdId"));
    // Was: only the POST; the exposure stayed up with no handle to remove it.
    const deletes = server.received.filter((r) => r.method === "DELETE");
    assert.deepEqual(deletes.map((r) => r.url), ["/api/v1/sandbox/sb-c/expose/exp-half"]);
  } finally {
    await server.close();
  }
});

test("createSshSession: a malformed 2xx answer with a session id closes that session", async () => {
  const server = await startHostileServer(({ received, res }) => {
    res.writeHead(200, { "content-type": "application/json" });
    if (received.method === "POST") res.end(JSON.stringify({ session_id: "ssh-half" }));
    else res.end(JSON.stringify({ success: true, message: "closed" }));
  });
  try {
    const prime = new PrimeIntellect({ apiKey: KEY, baseUrl: server.url, rateLimit: false });
    const error = await prime.sandbox("sb-c").createSshSession().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof UnexpectedResponseError, String(error));
    const deletes = server.received.filter((r) => r.method === "DELETE");
    assert.deepEqual(deletes.map((r) => r.url), ["/api/v1/sandbox/sb-c/ssh-session/ssh-half"]);
  } finally {
    await server.close();
  }
});

test("createPty: a 2xx answer with a session id but no token kills that PTY; a failed kill is said", async () => {
  for (const killStatus of [200, 500]) {
    const server = await startHostileServer(({ received, res }) => {
      if (received.method === "POST") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ session_id: "pty-half" }));
        return;
      }
      res.writeHead(killStatus === 200 ? 204 : 500);
      res.end();
    });
    try {
      const tensorlake = new Tensorlake({ apiKey: KEY, rateLimit: false });
      // The sandbox by its ingress endpoint: here, the hostile server.
      const error = await tensorlake.sandbox(server.url).createPty({ command: "bash" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof UnexpectedResponseError, String(error));
      const kills = server.received.filter((r) => r.method === "DELETE");
      assert.equal(kills.length >= 1, true, "the PTY was not killed");
      assert.ok(kills.every((r) => r.url.endsWith("/pty-half")));
      assert.match(error.message, killStatus === 200 ? /was removed/ : /could not be removed/);
      // The id to clean up with when the kill failed (and the message says which).
      assert.equal(error.createdId, "pty-half");
    } finally {
      await server.close();
    }
  }
});

test("an input read twice cannot pass the check with one value and be sent with another", async () => {
  const bodies: string[] = [];
  const fetch = async (request: Request) => {
    bodies.push(await request.text());
    return Response.json({ session_id: "pty-1", token: "tok-1234567890abcdef" });
  };
  const tensorlake = new Tensorlake({ apiKey: KEY, fetch, rateLimit: false });
  let reads = 0;
  const options = {
    get command() {
      return reads++ === 0 ? "ls" : "ls\0rm -rf /";
    },
  };
  const pty = await tensorlake.sandbox("sb-c").createPty(options);
  // Was: the NUL-bearing second read was sent after the first passed the check.
  assert.ok(!bodies[0]!.includes("\\u0000"), bodies[0]);
  const args = new Proxy(["-l"], {
    get(target, property, receiver) {
      if (property === "0" && reads++ > 1) return "x\0y";
      return Reflect.get(target, property, receiver);
    },
  });
  await tensorlake.sandbox("sb-c").createPty({ command: "ls", args }).then(
    () => {},
    () => {},
  );
  for (const body of bodies) assert.ok(!body.includes("\\u0000"), body);
  void pty;
});
