import { test } from "node:test";
import assert from "node:assert/strict";
import { ServerError } from "../mod.ts";
import {
  exposeBody,
  noContent,
  prime,
  PTY_TOKEN,
  ptyNotFound,
  recordingFetch,
  sshBody,
  tensorlake,
  unexposeBody,
} from "./helpers/fake_fetch.ts";

function primeFetch() {
  return recordingFetch((request) => {
    if (request.method === "DELETE") return Response.json(unexposeBody());
    return Response.json(request.url.endsWith("/ssh-session") ? sshBody() : exposeBody());
  });
}

test("await using unexposes the port at scope exit", async () => {
  const { requests, fetch } = primeFetch();
  const sandbox = prime(fetch).sandbox("sb-1");
  {
    await using exposure = await sandbox.exposePort({ port: 8000 });
    assert.equal(exposure.url, "https://exp-123.sandbox.primeintellect.ai");
    assert.equal(requests.length, 1);
  }
  assert.equal(requests.length, 2);
  assert.equal(requests[1]!.method, "DELETE");
  assert.match(requests[1]!.url, /\/expose\/exp-123$/);
});

test("await using closes the SSH session even when the block throws", async () => {
  const { requests, fetch } = primeFetch();
  const sandbox = prime(fetch).sandbox("sb-1");
  const boom = new Error("boom");
  await assert.rejects(
    async () => {
      await using session = await sandbox.createSshSession();
      assert.equal(session.sessionId, "sess-abc");
      throw boom;
    },
    (error: unknown) => error === boom,
  );
  assert.equal(requests.length, 2);
  assert.equal(requests[1]!.method, "DELETE");
  assert.match(requests[1]!.url, /\/ssh-session\/sess-abc$/);
});

test("await using kills the PTY at scope exit, and a PTY already gone is fine", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.method === "POST"
      ? Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
      : ptyNotFound()
  );
  {
    await using pty = await tensorlake(fetch).sandbox("my-sb").createPty({ command: "bash" });
    assert.equal(pty.sessionId, "pty-1");
  }
  assert.equal(requests.length, 2);
  assert.equal(requests[1]!.method, "DELETE");
  assert.match(requests[1]!.url, /\/api\/v1\/pty\/pty-1$/);
});

test("explicit try/finally with Symbol.asyncDispose (for runtimes without `await using`)", async () => {
  const { requests, fetch } = recordingFetch((request) =>
    request.method === "POST"
      ? Response.json({ session_id: "pty-1", token: PTY_TOKEN }, { status: 201 })
      : noContent()
  );
  const pty = await tensorlake(fetch).sandbox("my-sb").createPty({ command: "bash" });
  try {
    assert.equal(typeof pty[Symbol.asyncDispose], "function");
  } finally {
    await pty[Symbol.asyncDispose]();
  }
  assert.equal(requests.filter((r) => r.method === "DELETE").length, 1);
  assert.deepEqual(await pty.kill(), { alreadyGone: false }); // no second request
  assert.equal(requests.length, 2);
});

test("a failing cleanup during a throw surfaces both errors (SuppressedError)", async () => {
  const { fetch } = recordingFetch((request) =>
    request.method === "DELETE"
      ? Response.json({ detail: "down" }, { status: 503 })
      : Response.json(exposeBody())
  );
  const sandbox = prime(fetch).sandbox("sb-1");
  const boom = new Error("boom");
  await assert.rejects(
    async () => {
      await using _exposure = await sandbox.exposePort({ port: 8000 });
      throw boom;
    },
    (error: unknown) => {
      const suppressed = error as { error?: unknown; suppressed?: unknown };
      assert.ok(suppressed.error instanceof ServerError, String(error));
      assert.equal(suppressed.suppressed, boom);
      return true;
    },
  );
});
