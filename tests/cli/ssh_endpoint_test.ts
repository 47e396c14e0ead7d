// The emulator served over HTTP gives each SSH session a TCP endpoint of its own on loopback,
// open while the session lives; the in-process emulator keeps the placeholder host.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { PrimeIntellect } from "../../mod.ts";
import { createEmulator, serve } from "../../src/testing/mod.ts";

function greeting(host: string, port: number): Promise<string | Error> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (s: string) => (text += s));
    socket.on("end", () => resolve(text));
    socket.on("error", (error) => resolve(error));
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(new Error("timeout"));
    });
  });
}

test("served: each SSH session gets 127.0.0.1 and a port of its own that accepts connections until it ends", async () => {
  const emulator = createEmulator();
  const server = await serve(emulator);
  try {
    const sandbox = new PrimeIntellect({ apiKey: "k", baseUrl: server.url }).sandbox("sb");
    const first = await sandbox.createSshSession();
    const second = await sandbox.createSshSession();
    assert.equal(first.host, "127.0.0.1");
    assert.notEqual(first.port, second.port);
    assert.equal(first.externalEndpoint, `127.0.0.1:${first.port}`);
    const [exposure] = (await sandbox.listExposures()).filter((e) =>
      e.exposureId === first.exposureId
    );
    assert.equal(
      exposure?.externalPort,
      first.port,
      "the session's TCP exposure names the same port",
    );
    assert.equal(await greeting("127.0.0.1", first.port), "SSH-2.0-sandgate_emulator\r\n");

    await first.close();
    const refused = await greeting("127.0.0.1", first.port);
    assert.ok(refused instanceof Error, "a closed session's endpoint refuses connections");
    assert.equal(await greeting("127.0.0.1", second.port), "SSH-2.0-sandgate_emulator\r\n");
    // Unexposing the session's TCP exposure ends the session and its endpoint too.
    await sandbox.unexposePort(second.exposureId);
    assert.ok((await greeting("127.0.0.1", second.port)) instanceof Error);

    const third = await sandbox.createSshSession();
    await server.close();
    assert.ok((await greeting("127.0.0.1", third.port)) instanceof Error, "closed with the server");
  } finally {
    await server.close();
  }
});

test("in-process: the placeholder host stays", async () => {
  const sandbox = new PrimeIntellect({ apiKey: "k", fetch: createEmulator().fetch }).sandbox("sb");
  const session = await sandbox.createSshSession();
  assert.equal(session.host, "ssh.emulator.sandgate.invalid");
  await session.close();
});
