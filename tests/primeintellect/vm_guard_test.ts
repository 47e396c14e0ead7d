// Prime's SDK refuses port and SSH calls on VM sandboxes before sending them
// (PrimeIntellect-ai/prime packages/prime-sandboxes/src/prime_sandboxes/sandbox.py@66fb4b7,
// `_guard_vm_unsupported` on expose, unexpose, list_exposed_ports, create/close_ssh_session),
// looking the sandbox up with `GET /api/v1/sandbox/{id}` and remembering `vm`
// (`SandboxAuthCache.is_vm`). sandgate does the same, once per sandbox and client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidArgumentError, NotFoundError, PrimeIntellect } from "../../mod.ts";
import { createEmulator, type Emulator } from "../../src/testing/mod.ts";

function setup(): { emulator: Emulator; prime: PrimeIntellect; sent: string[] } {
  const emulator = createEmulator({
    rateLimit: false,
    sandboxes: ["sb-1", { id: "sb-vm", vm: true }, { id: "sb-new", status: "PENDING" }],
  });
  const sent: string[] = [];
  const prime = new PrimeIntellect({
    apiKey: "k",
    fetch: (request) => {
      sent.push(`${request.method} ${new URL(request.url).pathname}`);
      return emulator.fetch(request);
    },
  });
  return { emulator, prime, sent };
}

test("on a VM sandbox, expose, unexpose, list and SSH create/close are refused after one lookup", async () => {
  const { prime, sent } = setup();
  const vm = prime.sandbox("sb-vm");
  const calls: [string, () => Promise<unknown>][] = [
    ["port exposure", () => vm.exposePort({ port: 8000 })],
    ["port unexpose", () => vm.unexposePort("exp-1")],
    ["port listing", () => vm.listExposures()],
    ["SSH", () => vm.createSshSession()],
    ["SSH", () => vm.closeSshSession("ssh-1")],
  ];
  for (const [feature, call] of calls) {
    await assert.rejects(call, (error) => {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.field, "sandboxId");
      assert.equal(
        error.message,
        `sandboxId: is a VM sandbox: Prime Intellect does not support ${feature} on VM sandboxes yet (got "sb-vm")`,
      );
      return true;
    });
  }
  assert.deepEqual(sent, ["GET /api/v1/sandbox/sb-vm"], "one lookup, nothing else");
});

test("a container sandbox is looked up once per client; concurrent first calls share the lookup", async () => {
  const { emulator, prime, sent } = setup();
  const sandbox = prime.sandbox("sb-1");
  const exposures = await Promise.all(
    [3000, 3001, 3002].map((port) => sandbox.exposePort({ port })),
  );
  await sandbox.listExposures();
  await prime.sandbox("sb-1").createSshSession().then((s) => s.close());
  for (const e of exposures) await e.unexpose();
  assert.equal(sent.filter((s) => s === "GET /api/v1/sandbox/sb-1").length, 1);
  assert.equal(sent.length, 1 + 3 + 1 + 2 + 3);
  assert.equal(emulator.live().exposures, 0);
  // Another client asks again: the memory is per client, as upstream's is per SandboxClient.
  await new PrimeIntellect({ apiKey: "k", fetch: emulator.fetch }).sandbox("sb-1").listExposures();
  assert.equal(emulator.stats.requests, sent.length + 2);
});

test("like Prime's SDK, a sandbox that is not running is not refused by the SDK; info() says its state", async () => {
  const { prime } = setup();
  const sandbox = prime.sandbox("sb-new");
  assert.deepEqual(await sandbox.info(), { id: "sb-new", status: "PENDING", vm: false });
  assert.deepEqual(await prime.sandbox("sb-vm").info(), {
    id: "sb-vm",
    status: "RUNNING",
    vm: true,
  });
  await using exposure = await sandbox.exposePort({ port: 8000 });
  assert.equal(exposure.port, 8000);
});

test("an unknown sandbox: the lookup's NotFoundError; unexpose of it reads as already gone", async () => {
  const { prime, sent } = setup();
  await assert.rejects(prime.sandbox("zz").exposePort({ port: 8000 }), (error) => {
    assert.ok(error instanceof NotFoundError);
    assert.match(error.message, /getSandbox.*Sandbox not found/);
    return true;
  });
  assert.deepEqual(await prime.sandbox("zz").unexposePort("exp-1"), { alreadyGone: true });
  await assert.rejects(prime.sandbox("zz").unexposePort("exp-1", { strict: true }), NotFoundError);
  assert.ok(sent.every((s) => s === "GET /api/v1/sandbox/zz"), "nothing but lookups was sent");
});

test("a caller's abort stops its wait for a shared lookup without failing the others", async () => {
  const { prime, sent } = setup();
  const sandbox = prime.sandbox("sb-1");
  const controller = new AbortController();
  const aborted = sandbox.listExposures({ signal: controller.signal });
  const other = sandbox.listExposures();
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.deepEqual(await other, []);
  assert.equal(sent.filter((s) => s === "GET /api/v1/sandbox/sb-1").length, 1);
});

test("sshTarget checks the whole session answer once: id, host, port; external_endpoint is compared", async () => {
  const { sshTarget } = await import("../../src/primeintellect/ssh.ts");
  const base = {
    sessionId: "ssh-1",
    exposureId: "e",
    sandboxId: "sb",
    host: "127.0.0.1",
    port: 2200,
    externalEndpoint: "127.0.0.1:2200",
    expiresAt: new Date(0),
    ttlSeconds: 1,
    gatewayUrl: "https://g.example",
    userNs: "ns",
    jobId: "job",
  };
  assert.deepEqual({ ...sshTarget(base) }, {
    user: "ssh-1",
    host: "127.0.0.1",
    address: "127.0.0.1",
    port: 2200,
    endpoint: "127.0.0.1:2200",
    endpointMatches: true,
  });
  const v6 = sshTarget({ ...base, host: "[::1]", externalEndpoint: "gw.example:22" });
  assert.deepEqual([v6.address, v6.endpoint, v6.endpointMatches], ["::1", "[::1]:2200", false]);
  assert.equal(sshTarget({ ...base, host: "ssh.primeintellect.ai" }).host, "ssh.primeintellect.ai");
  for (
    const [field, bad] of [
      ["port", { port: 99999 }],
      ["port", { port: -1 }],
      ["port", { port: 22.5 }],
      ["host", { host: "-oProxyCommand=x" }],
      ["host", { host: "a b" }],
      ["host", { host: "user@host" }],
      ["host", { host: "" }],
      ["session_id", { sessionId: "-oX" }],
      ["session_id", { sessionId: "a;b" }],
    ] as const
  ) {
    assert.throws(
      () => sshTarget({ ...base, ...bad }),
      (error: Error) =>
        error.name === "UnexpectedResponseError" &&
        error.message.startsWith(`Prime Intellect createSshSession: ${field} must`),
      JSON.stringify(bad),
    );
  }
});
