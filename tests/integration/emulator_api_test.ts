// The high-level API against the in-process emulator (its `fetch`), on the
// providers' real hosts: what the TSDoc examples do.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthenticationError,
  NotFoundError,
  PrimeIntellect,
  RateLimitedError,
  Tensorlake,
} from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";

const QUIET = { rateLimit: false, retry: false } as const;

test("Prime Intellect on api.primeintellect.ai: expose, list, SSH, all cleaned up", async () => {
  const emulator = createEmulator({ apiKeys: ["k"] });
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch: emulator.fetch, ...QUIET })
    .sandbox("sb-1");
  {
    await using exposure = await sandbox.exposePort({ port: 8000, protocol: "http" });
    assert.equal(exposure.protocol, "HTTP");
    await using session = await sandbox.createSshSession({ ttlSeconds: 60 });
    assert.equal(session.ttlSeconds, 60);
    await session.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
    const listed = await sandbox.listExposures();
    assert.ok(listed.some((e) => e.exposureId === exposure.exposureId));
    assert.ok(listed.some((e) => e.exposureId === session.exposureId));
  }
  assert.equal(emulator.live().exposures, 0);
  assert.equal(emulator.live().sshSessions, 0);
});

test("Tensorlake on {id}.sandbox.tensorlake.ai: 64-session cap, kill, already gone, strict", async () => {
  const emulator = createEmulator({ maxPtySessions: 1 });
  const sandbox = new Tensorlake({ apiKey: "tl_apiKey_x", fetch: emulator.fetch, ...QUIET })
    .sandbox("my-sandbox");
  const pty = await sandbox.createPty({ command: "bash" });
  await assert.rejects(
    sandbox.createPty({ command: "bash" }),
    (error: unknown) => error instanceof RateLimitedError && error.code === "TOO_MANY_SESSIONS",
  );
  assert.deepEqual(await pty.kill(), { alreadyGone: false });
  assert.deepEqual(await sandbox.killPty(pty.sessionId), { alreadyGone: true });
  await assert.rejects(sandbox.killPty(pty.sessionId, { strict: true }), NotFoundError);
  assert.equal(emulator.live().ptys, 0);
});

test("a wrong API key is an AuthenticationError on both providers", async () => {
  const emulator = createEmulator({ apiKeys: ["right"] });
  await assert.rejects(
    new PrimeIntellect({ apiKey: "wrong", fetch: emulator.fetch, ...QUIET }).sandbox("sb")
      .listExposures(),
    AuthenticationError,
  );
  await assert.rejects(
    new Tensorlake({ apiKey: "wrong", fetch: emulator.fetch, ...QUIET }).sandbox("sb")
      .listPtys(),
    AuthenticationError,
  );
});
