// `sandgate forward` as users run it: the real CLI process against
// `sandgate emulator --service …`, a real TCP client (redis-cli, or a plain
// socket) through the forwarded port, and cleanup on SIGINT / SIGTERM.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cli, start, until } from "./_helpers.ts";
import { skipCli } from "./_helpers.ts";
import { freePort, tcpServer } from "../helpers/loopback.ts";
import { redisSkipReason, startRedisServer } from "../helpers/redis_server.ts";
import { exchange, redisCli as redisCliAt, refuses } from "../forward/_helpers.ts";

/** A TCP echo server on 127.0.0.1 (what the emulated sandbox's service relays to). */
function echoServer() {
  return tcpServer((socket) => socket.pipe(socket), { allowHalfOpen: true });
}

/** `sandgate emulator --json --service …`, and the variables pointing at it. */
async function emulator(services: string[]) {
  const running = start(
    ["emulator", "--json", "--quiet", ...services.flatMap((s) => ["--service", s])],
    {},
  );
  await until(() => running.stdout().includes("}"), "the emulator's JSON");
  const info = JSON.parse(running.stdout()) as { url: string; env: Record<string, string> };
  return { running, env: info.env };
}

describe("sandgate forward", { skip: skipCli }, () => {
  test("Prime: redis-cli through `forward sb LOCAL:6379`; SIGINT removes the exposure", {
    skip: redisSkipReason(),
  }, async () => {
    const redis = await startRedisServer();
    const emu = await emulator([`6379=127.0.0.1:${redis.port}`]);
    try {
      const local = await freePort();
      const forward = start(["forward", "sb", `${local}:6379`], emu.env);
      await until(() => forward.stdout().includes("->"), "the forward's address line");
      assert.equal(forward.stdout().trim(), `127.0.0.1:${local} -> sb:6379`);
      const redisCli = (...args: string[]) => redisCliAt(local, ...args);
      assert.equal(await redisCli("SET", "k", "through-the-cli"), "OK");
      assert.equal(await redisCli("GET", "k"), "through-the-cli");
      const during = await cli(["ports", "sb", "--json"], emu.env);
      assert.equal(JSON.parse(during.stdout).length, 1);
      forward.kill("SIGINT");
      const result = await forward.done;
      assert.equal(result.code, 130, result.stderr);
      assert.match(result.stderr, /stopped: 2 connections/);
      const after = await cli(["ports", "sb", "--json"], emu.env);
      assert.deepEqual(JSON.parse(after.stdout), []);
      assert.ok(await refuses(local), "the local listener is closed");
    } finally {
      emu.running.kill("SIGINT");
      await emu.running.done;
      await redis.stop();
    }
  });

  test(
    "Tensorlake: redis-cli through `forward sb LOCAL:6379 --provider tensorlake`; SIGHUP stops it",
    {
      // The CLI runs on this runtime; Node 20 has no global WebSocket (docs/runtimes.md).
      skip: (typeof globalThis.WebSocket !== "function" && "no global WebSocket (Node 20)") ||
        redisSkipReason(),
    },
    async () => {
      const redis = await startRedisServer();
      const emu = await emulator([`6379=127.0.0.1:${redis.port}`]);
      try {
        const local = await freePort();
        const forward = start(
          ["forward", "sb", `${local}:6379`, "--provider", "tensorlake"],
          emu.env,
        );
        await until(() => forward.stdout().includes("->"), "the forward's address line");
        const redisCli = (...args: string[]) => redisCliAt(local, ...args);
        assert.equal(await redisCli("SET", "k", "through-the-tunnel"), "OK");
        assert.equal(await redisCli("GET", "k"), "through-the-tunnel");
        forward.kill("SIGHUP");
        const result = await forward.done;
        assert.equal(result.code, 129, result.stderr);
        assert.match(result.stderr, /stopped: 2 connections/);
        assert.ok(await refuses(local), "the local listener is closed");
      } finally {
        emu.running.kill("SIGINT");
        await emu.running.done;
        await redis.stop();
      }
    },
  );

  test("Prime: several ports at once, SIGTERM cleans up everything", async () => {
    const echo = await echoServer();
    const emu = await emulator([`7000=127.0.0.1:${echo.port}`, `7001=127.0.0.1:${echo.port}`]);
    try {
      const forward = start(["forward", "sb", "7000", "0:7001", "--json"], emu.env);
      // One JSON object per forward (pretty-printed, as every --json output is).
      const objects = () =>
        forward.stdout().trim().split(/\n(?=\{)/).filter((t) => t.endsWith("}"));
      await until(() => objects().length >= 2, "two forwards");
      const lines = objects().map((text) => JSON.parse(text));
      assert.deepEqual(lines.map((l) => l.remotePort), [7000, 7001]);
      for (const line of lines) {
        const text = `hello ${line.remotePort}`;
        assert.equal(new TextDecoder().decode(await exchange(line.port, text)), text);
      }
      const during = await cli(["ports", "sb", "--json"], emu.env);
      assert.equal(JSON.parse(during.stdout).length, 2);
      forward.kill("SIGTERM");
      const result = await forward.done;
      assert.equal(result.code, 143, result.stderr);
      const after = await cli(["ports", "sb", "--json"], emu.env);
      assert.deepEqual(JSON.parse(after.stdout), []);
    } finally {
      emu.running.kill("SIGINT");
      await emu.running.done;
      await echo.close();
    }
  });

  test("Prime: --stdio relays stdin/stdout (an ssh ProxyCommand) and removes its exposure; 0 when stdin ends, 143 on SIGTERM", async () => {
    const echo = await echoServer();
    const emu = await emulator([`7000=127.0.0.1:${echo.port}`]);
    try {
      const proxy = start(["forward", "--stdio", "sb", "7000"], emu.env);
      proxy.write("SSH-2.0-through-stdio\r\n");
      proxy.end();
      const result = await proxy.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "SSH-2.0-through-stdio\r\n");
      const after = await cli(["ports", "sb", "--json"], emu.env);
      assert.deepEqual(JSON.parse(after.stdout), []);
      // Stopped by a signal instead: the signal's code, never 0, and the exposure removed all the same.
      const stopped = start(["forward", "--stdio", "sb", "7000"], emu.env);
      stopped.write("SSH-2.0-then-a-signal\r\n");
      await until(() => stopped.stdout().includes("\r\n"), "the echo on stdout");
      stopped.kill("SIGTERM");
      const signalled = await stopped.done;
      assert.equal(signalled.code, 143, signalled.stderr);
      const afterSignal = await cli(["ports", "sb", "--json"], emu.env);
      assert.deepEqual(JSON.parse(afterSignal.stdout), []);
    } finally {
      emu.running.kill("SIGINT");
      await emu.running.done;
      await echo.close();
    }
  });

  test("Tensorlake: --stdio relays stdin/stdout through the tunnel", {
    skip: typeof globalThis.WebSocket !== "function" && "no global WebSocket (Node 20)",
  }, async () => {
    const echo = await echoServer();
    const emu = await emulator([`7000=127.0.0.1:${echo.port}`]);
    try {
      const proxy = start(
        ["forward", "--stdio", "sb", "7000", "--provider", "tensorlake"],
        emu.env,
      );
      proxy.write("SSH-2.0-through-the-tunnel\r\n");
      // No half-close over the tunnel: the echo is read before stdin ends.
      await until(() => proxy.stdout().includes("\r\n"), "the echo on stdout");
      proxy.end();
      const result = await proxy.done;
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "SSH-2.0-through-the-tunnel\r\n");
    } finally {
      emu.running.kill("SIGINT");
      await emu.running.done;
      await echo.close();
    }
  });

  test("bad port specs are usage errors before anything is sent", async () => {
    for (const spec of ["80000", "1:2:3", ":22", "x", "21"]) {
      const result = await cli(["forward", "sb", spec], {
        PRIME_API_KEY: "k",
        PRIME_API_BASE_URL: "http://127.0.0.1:9",
      });
      assert.equal(result.code, 2, `${spec}: ${result.stderr}`);
    }
    const provider = await cli(["forward", "sb", "22", "--provider", "aws"], {});
    assert.equal(provider.code, 2);
  });
});
