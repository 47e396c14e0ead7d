// `sandgate ssh-proxy` as ssh runs it, without ssh: its stdout carries the far end's bytes (the
// emulated session's endpoint relays to a TCP service of ours on "port 22"), and however the
// connection ends — stdin closed, or SIGHUP / SIGTERM as ssh sends when it exits — the session is
// closed. Errors go to stderr, never into the byte stream on stdout.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { cli, skipCli, start, until } from "./_helpers.ts";

describe("sandgate ssh-proxy", { skip: skipCli }, () => {
  let service: Server;
  let emulator: Emulator;
  let server: ServedEmulator;
  let dir: string;
  let env: Record<string, string>;
  const args = () => ["ssh-proxy", "sb", "--identity", join(dir, "key"), "--base-url", server.url];
  before(async () => {
    // An echo service with a banner, standing in for the sandbox's SSH server.
    service = createServer((socket: Socket) => {
      socket.on("error", () => {});
      socket.write("SSH-2.0-Echo\r\n");
      socket.pipe(socket);
    });
    const port = await listenOnLoopback(service);
    emulator = createEmulator({ apiKeys: ["proxy-key"], services: { 22: `127.0.0.1:${port}` } });
    server = await serve(emulator);
    dir = mkdtempSync(join(tmpdir(), "sandgate-proxy-"));
    // ssh reads the private key; the proxy only checks that it is there.
    writeFileSync(join(dir, "key"), "PRIVATE KEY\n");
    writeFileSync(
      join(dir, "key.pub"),
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIProxyTestKey me@host\n",
    );
    env = { PRIME_API_KEY: "proxy-key" };
  });
  after(async () => {
    await server?.close();
    await new Promise<void>((resolve) => service.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("relays both ways; stdin's end ends it, exit 0, session closed, key authorized", async () => {
    const running = start(args(), env);
    await until(() => running.stdout().includes("SSH-2.0-Echo\r\n"), "the banner on stdout");
    const [session] = emulator.snapshot().sandboxes["sb"]!.sshSessions;
    assert.deepEqual(session!.authorized_keys, [
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIProxyTestKey me@host",
    ]);
    running.write("ping\n");
    await until(() => running.stdout().endsWith("ping\n"), "the echo");
    running.end();
    const result = await running.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "SSH-2.0-Echo\r\nping\n", "nothing but the far end's bytes");
    assert.equal(emulator.live().sshSessions, 0);
  });

  for (const [signal, code] of [["SIGHUP", 129], ["SIGTERM", 143]] as const) {
    test(`${signal} (ssh exiting) closes the session, exit ${code}`, async () => {
      const running = start(args(), env);
      await until(() => running.stdout().includes("SSH-2.0-Echo"), "the relay to start");
      assert.equal(emulator.live().sshSessions, 1);
      running.kill(signal);
      const result = await running.done;
      assert.equal(result.code, code, result.stderr);
      assert.equal(emulator.live().sshSessions, 0, "the session is closed");
    });
  }

  test("without --identity, or with an unreadable key: an error on stderr, nothing opened", async () => {
    const before = emulator.stats.requests;
    const missing = await cli(["ssh-proxy", "sb", "--base-url", server.url], env);
    assert.equal(missing.code, 2);
    const unreadable = await cli(
      ["ssh-proxy", "sb", "--identity", join(dir, "nope"), "--base-url", server.url],
      env,
    );
    assert.equal(unreadable.code, 2, "a bad argument, as `sandgate ssh --identity`");
    assert.equal(unreadable.stdout, "");
    assert.match(unreadable.stderr, /ssh-proxy: --identity .*nope/);
    assert.equal(emulator.stats.requests, before);
  });
});
