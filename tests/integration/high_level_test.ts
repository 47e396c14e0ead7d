// The high-level API (PrimeIntellect / Tensorlake) against the emulator over
// real loopback HTTP, with cleanup by `await using`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, NotFoundError, PrimeIntellect, Tensorlake } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";

const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx0ZXN0a2V5 test@sandgate";

test("Prime Intellect: expose → list → SSH session + authorize + ssh command, cleaned up by await using", async () => {
  const emulator = createEmulator({ apiKeys: ["hl-key"] });
  await using server = await serve(emulator);
  const sandbox = new PrimeIntellect({ apiKey: "hl-key", baseUrl: server.url }).sandbox("sb-hl");
  {
    await using exposure = await sandbox.exposePort({ port: 8000, name: "web" });
    assert.equal(exposure.url, "https://8000-sb-hl.emulator.sandgate.invalid");
    await using tcp = await sandbox.exposePort({ port: 5432, protocol: "tcp" });
    assert.equal(tcp.protocol, "TCP");
    // Served, a TCP exposure's endpoint is a loopback listener of its own (relaying to a service).
    assert.match(tcp.externalEndpoint ?? "", /^127\.0\.0\.1:\d+$/);

    const listed = await sandbox.listExposures();
    assert.deepEqual(listed.map((e) => [e.port, e.name]), [[8000, "web"], [5432, null]]);
    assert.ok(listed.every((e) => e.createdAt instanceof Date));

    await using session = await sandbox.createSshSession({ ttlSeconds: 300 });
    assert.equal(session.ttlSeconds, 300);
    assert.equal(session.gatewayUrl, `${server.url}/gateway`);
    await session.authorizeKey(PUBLIC_KEY);
    const [snapshot] = emulator.snapshot().sandboxes["sb-hl"]!.sshSessions;
    assert.deepEqual(snapshot!.authorized_keys, [PUBLIC_KEY]);
    const ssh = session.sshCommand({ identityFile: "~/.ssh/id_ed25519" });
    assert.deepEqual(ssh.argv.slice(0, 4), [
      "ssh",
      `${session.sessionId}@${session.host}`,
      "-p",
      String(session.port),
    ]);
    assert.ok(!JSON.stringify(session).includes(session.token), "token stays out of JSON");
    assert.deepEqual(emulator.live().sandboxes["sb-hl"], { exposures: 3, sshSessions: 1, ptys: 0 });
  }
  // Leaving the block unexposed both ports and closed the session (and its exposure).
  assert.deepEqual(emulator.live(), { exposures: 0, sshSessions: 0, ptys: 0, sandboxes: {} });
});

test("Prime Intellect: typed errors from the emulator; cleanup is idempotent", async () => {
  const emulator = createEmulator({ sandboxes: ["known"] });
  await using server = await serve(emulator);
  const prime = new PrimeIntellect({ apiKey: "k", baseUrl: server.url });
  await assert.rejects(prime.sandbox("unknown").listExposures(), NotFoundError);

  const sandbox = prime.sandbox("known");
  const exposure = await sandbox.exposePort({ port: 3000 });
  assert.deepEqual(await exposure.unexpose(), { alreadyGone: false });
  assert.deepEqual(await sandbox.unexposePort(exposure.exposureId), { alreadyGone: true });
  await assert.rejects(
    sandbox.unexposePort(exposure.exposureId, { strict: true }),
    NotFoundError,
  );
  // Server-side validation is reached when the client-side checks are bypassed.
  const raw = await prime.client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
    params: { path: { sandbox_id: "known" } },
    body: { port: 9001 },
  });
  assert.equal(raw.response.status, 422);
  assert.deepEqual(raw.error, {
    errors: [{ param: "port", details: "Input should be less than or equal to 9000" }],
  });
  // The high-level API refuses it before sending anything.
  const before = emulator.stats.requests;
  await assert.rejects(sandbox.exposePort({ port: 9001 }), InvalidArgumentError);
  assert.equal(emulator.stats.requests, before);
});

test("Tensorlake: PTY create → resize → info → kill over loopback; await using kills leftovers", async () => {
  const emulator = createEmulator();
  await using server = await serve(emulator);
  const tensorlake = new Tensorlake({ apiKey: "tl_apiKey_hl" });
  const sandbox = tensorlake.sandbox(server.url); // loopback ingress → the "default" sandbox
  {
    await using pty = await sandbox.createPty({ command: "bash", args: ["-l"] });
    await using other = await sandbox.createPty({ command: "top", rows: 10, cols: 40 });
    const info = await pty.info();
    assert.equal(info.rows, 24);
    assert.equal(info.cols, 80);
    await pty.resize({ rows: 40, cols: 120 });
    assert.deepEqual(
      (await sandbox.getPty(pty.sessionId)).rows,
      40,
    );
    const list = await sandbox.listPtys();
    assert.deepEqual(list.map((p) => p.command).sort(), ["bash", "top"]);
    assert.deepEqual(await pty.kill(), { alreadyGone: false });
    assert.deepEqual(emulator.live().sandboxes, {
      default: { exposures: 0, sshSessions: 0, ptys: 1 },
    });
    assert.ok(!JSON.stringify(other).includes(other.token));
  }
  assert.equal(emulator.live().ptys, 0);
  await assert.rejects(sandbox.getPty("pty-gone"), NotFoundError);
});
