// The CLI as users run it, against the emulator served over HTTP: help, expose / unexpose /
// ports, the typed errors' one-line messages and exit codes, and `sandgate emulator` itself.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Tensorlake, VERSION } from "../../mod.ts";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { createServer } from "node:net";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { cli, skipCli, skipPty, start, until } from "./_helpers.ts";

describe("sandgate CLI", { skip: skipCli }, () => {
  let emulator: Emulator;
  let server: ServedEmulator;
  let env: Record<string, string>;
  before(async () => {
    emulator = createEmulator({ apiKeys: ["cli-test-key"] });
    server = await serve(emulator);
    env = { PRIME_API_KEY: "cli-test-key", PRIME_API_BASE_URL: server.url };
  });
  after(() => server.close());

  test("--help lists every command, the environment and the exit codes", async () => {
    const { code, stdout } = await cli(["--help"]);
    assert.equal(code, 0);
    for (const word of ["ssh", "expose", "unexpose", "ports", "pty", "emulator", "demo"]) {
      assert.match(stdout, new RegExp(`^  ${word} `, "m"), word);
    }
    assert.match(stdout, /PRIME_API_BASE_URL/);
    assert.match(stdout, /4 not found/);
  });

  test("--version prints the package version", async () => {
    const { code, stdout } = await cli(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout, `sandgate ${VERSION}\n`);
  });

  test("each command has --help with its options", async () => {
    const { code, stdout } = await cli(["ssh", "--help"]);
    assert.equal(code, 0);
    assert.match(stdout, /^usage: sandgate ssh <sandbox>/);
    for (const flag of ["--ttl S", "--identity FILE", "--base-url URL", "--help"]) {
      assert.ok(stdout.includes(flag), flag);
    }
    const ports = await cli(["ports", "-h"]);
    assert.match(ports.stdout, /--all/);
    assert.match(ports.stdout, /--json/);
  });

  test("an unknown command or option is a one-line usage error, exit code 2", async () => {
    const unknown = await cli(["teleport"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: UsageError: unknown command "teleport"/m);
    const option = await cli(["expose", "sb", "8000", "--bogus"], env);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /^error: UsageError: expose: unknown option --bogus$/m);
    const port = await cli(["expose", "sb", "80000"], env);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /<port> must be an integer from 22 to 9000 \(got "80000"\)/);
    for (const reserved of ["8080", "2222", "8081"]) {
      const refused = await cli(["expose", "sb", reserved], env);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /port: must not be 8080, 2222 or 8081: Prime Intellect does not/,
      );
    }
    assert.equal(emulator.stats.requests, 0, "nothing was sent");
  });

  test("an option typo gets a did-you-mean with balanced quotes; -- ends the options", async () => {
    const typo = await cli(["expose", "sb", "8080", "--nmae", "x"], env);
    assert.equal(typo.code, 2);
    assert.match(
      typo.stderr,
      /^error: UsageError: expose: unknown option --nmae; did you mean --name\?$/m,
    );
    const ssh = await cli(["ssh", "sb", "--identiy", "k"], env);
    assert.match(ssh.stderr, /unknown option --identiy; did you mean --identity\?/);
    for (const result of [typo, ssh]) {
      const line = result.stderr.split("\n").find((l) => l.startsWith("error:"))!;
      assert.equal((line.match(/'/g) ?? []).length % 2, 0, `balanced quotes: ${line}`);
      assert.equal((line.match(/"/g) ?? []).length % 2, 0, `balanced quotes: ${line}`);
    }
    const negative = await cli(["expose", "sb", "--", "-1"], env);
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /<port> must be an integer from 22 to 9000 \(got "-1"\)/);
    const bare = await cli(["expose", "sb", "-1"], env);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /unexpected -1: a negative number is not an option/);
    assert.equal(emulator.stats.requests, 0, "nothing was sent");
  });

  test("expose prints the URL, --tcp host:port; ports lists both; unexpose removes one", async () => {
    const http = await cli(["expose", "cli-sb", "8000", "--name", "web"], env);
    assert.equal(http.code, 0, http.stderr);
    assert.equal(http.stdout, "https://8000-cli-sb.emulator.sandgate.invalid\n");
    const tcp = await cli(["expose", "cli-sb", "5432", "--tcp", "--json"], env);
    assert.equal(tcp.code, 0, tcp.stderr);
    const exposure = JSON.parse(tcp.stdout);
    assert.equal(exposure.protocol, "TCP");
    assert.match(exposure.externalEndpoint, /:\d+$/);
    const plainTcp = await cli(["expose", "cli-sb", "6379", "--tcp"], env);
    // Served, a TCP exposure is a real loopback endpoint (emulator services, issue 24).
    assert.match(plainTcp.stdout, /^(tcp\.emulator\.sandgate\.invalid|127\.0\.0\.1):\d+\n$/);

    const list = await cli(["ports", "cli-sb", "--json"], env);
    assert.equal(list.code, 0, list.stderr);
    const ports = JSON.parse(list.stdout) as { port: number; name: string | null }[];
    assert.deepEqual(ports.map((p) => p.port).sort(), [5432, 6379, 8000]);
    const table = await cli(["ports", "cli-sb"], env);
    assert.match(table.stdout, /^EXPOSURE\s+PORT\s+PROTO\s+NAME\s+ENDPOINT$/m);
    assert.match(table.stdout, /8000\s+HTTP\s+web\s+https:\/\/8000-cli-sb/);

    const removed = await cli(["unexpose", "cli-sb", exposure.exposureId], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `removed ${exposure.exposureId}\n`);
    assert.equal(emulator.live().sandboxes["cli-sb"]?.exposures, 2);
    const again = await cli(["unexpose", "cli-sb", exposure.exposureId], env);
    assert.equal(again.code, 4);
    // One line for the error (a progress line may come first on a slow machine), no stack.
    assert.equal(again.stderr.match(/^error: /gm)?.length, 1, again.stderr);
    assert.doesNotMatch(again.stderr, /^\s+at /m);
    assert.match(again.stderr, /^error: NotFoundError: .*Exposure not found/m);
  });

  test("ports needs a sandbox or --all", async () => {
    const neither = await cli(["ports"], env);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /give a <sandbox> or --all/);
    const both = await cli(["ports", "sb", "--all"], env);
    assert.equal(both.code, 2);
  });

  test("no API key → exit 3, a refused key → exit 5; the key never printed", async () => {
    const missing = await cli(["ports", "sb"], { PRIME_API_BASE_URL: server.url });
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error: MissingApiKeyError: .*PRIME_API_KEY/m);
    const wrong = await cli(["ports", "sb"], {
      PRIME_API_KEY: "wrong-SECRET-key",
      PRIME_API_BASE_URL: server.url,
    });
    assert.equal(wrong.code, 5);
    assert.match(wrong.stderr, /^error: AuthenticationError: /m);
    assert.ok(!wrong.stderr.includes("SECRET"));
  });

  test("--base-url wins over PRIME_API_BASE_URL; a dead server → network error, exit 7", async () => {
    const dead = await cli(["ports", "sb", "--base-url", "http://127.0.0.1:9"], env);
    assert.equal(dead.code, 7, dead.stderr);
    assert.match(dead.stderr, /^error: NetworkError: /m);
    const insecure = await cli(["ports", "sb", "--base-url", "http://example.test"], env);
    assert.equal(insecure.code, 3, insecure.stderr);
    assert.match(insecure.stderr, /^error: ConfigError: /m);
  });

  test("ports --all lists every sandbox's exposures (GET /api/v1/sandbox/expose/all)", async () => {
    for (const [sandbox, port] of [["all-a", "3001"], ["all-b", "3002"]] as const) {
      const exposed = await cli(["expose", sandbox, port], env);
      assert.equal(exposed.code, 0, exposed.stderr);
    }
    const listed = await cli(["ports", "--all", "--json"], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { sandboxId: string; port: number }[];
    const mine = rows.filter((e) => e.sandboxId.startsWith("all-"))
      .map((e) => `${e.sandboxId}:${e.port}`).sort();
    assert.deepEqual(mine, ["all-a:3001", "all-b:3002"]);
    const table = await cli(["ports", "--all"], env);
    assert.match(table.stdout, /^SANDBOX\s+EXPOSURE\s+PORT/m);
    assert.match(table.stdout, /^all-b\s+\S+\s+3002\s/m);
  });

  test("pty ls and pty kill work on the served emulator", async () => {
    const tlEnv = { TENSORLAKE_API_KEY: "cli-test-key" };
    const empty = await cli(["pty", "ls", server.url, "--json"], tlEnv);
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual(JSON.parse(empty.stdout), []);
    const created = await fetch(`${server.url}/api/v1/pty`, {
      method: "POST",
      headers: { authorization: "Bearer cli-test-key", "content-type": "application/json" },
      body: JSON.stringify({ command: "bash", args: ["-l"], rows: 30, cols: 100 }),
    });
    const { session_id: sessionId } = await created.json() as { session_id: string };
    const listed = await cli(["pty", "ls", server.url], tlEnv);
    assert.match(listed.stdout, new RegExp(`^${sessionId}\\s+100x30\\s+.*bash -l$`, "m"));
    const killed = await cli(["pty", "kill", server.url, sessionId], tlEnv);
    assert.equal(killed.code, 0, killed.stderr);
    assert.equal(killed.stdout, `killed ${sessionId}\n`);
    const gone = await cli(["pty", "kill", server.url, sessionId], tlEnv);
    assert.equal(gone.code, 4);
  });

  test("pty ls --sandbox-url: the lifecycle API's sandbox_url, the sandbox named by id", async () => {
    // No proxy in the environment: without --sandbox-url the id would go to the cloud's host.
    const tlEnv = { TENSORLAKE_API_KEY: "cli-test-key" };
    const created = await fetch(`${server.url}/api/v1/pty`, {
      method: "POST",
      headers: {
        authorization: "Bearer cli-test-key",
        "content-type": "application/json",
        "x-tensorlake-sandbox-id": "cli-sb",
      },
      body: JSON.stringify({ command: "sh" }),
    });
    const { session_id: sessionId, token } = await created.json() as {
      session_id: string;
      token: string;
    };
    const listed = await cli(["pty", "ls", "cli-sb", "--sandbox-url", server.url, "--json"], tlEnv);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout).map((p: { sessionId: string }) => p.sessionId), [
      sessionId,
    ]);
    // An ended PTY shows its exit (the emulator records it; issue 22 item 3).
    const inProcess = new Tensorlake({
      apiKey: "cli-test-key",
      fetch: emulator.fetch,
      webSocket: emulator.webSocket,
    }).sandbox("cli-sb", { sandboxUrl: server.url });
    const attached = await inProcess.attachPty(sessionId, token);
    await attached.input.getWriter().write("exit 7\n");
    assert.deepEqual(await attached.exit, { kind: "exited", exitCode: 7 });
    const ended = await cli(["pty", "ls", "cli-sb", "--sandbox-url", server.url], tlEnv);
    assert.match(ended.stdout, new RegExp(`^${sessionId}\\s+\\S+\\s+\\S+\\s+7\\s+sh$`, "m"));
    const other = await cli(
      ["pty", "ls", "other-sb", "--sandbox-url", server.url, "--json"],
      tlEnv,
    );
    assert.deepEqual(JSON.parse(other.stdout), []);
    const bad = await cli(
      ["pty", "ls", "cli-sb", "--sandbox-url", "http://sandbox.example"],
      tlEnv,
    );
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /sandboxUrl/);
  });
});

test("sandgate demo runs the walkthrough on the built-in emulator", { skip: skipCli }, async () => {
  const { code, stdout } = await cli(["demo"]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /0 exposures, 0 SSH sessions, 0 PTYs left open/);
  assert.match(stdout, /demo finished, everything closed/);
});

describe("sandgate emulator", { skip: skipCli }, () => {
  test("a port in use: one clean line, exit 1", async () => {
    const busy = createServer();
    const port = await listenOnLoopback(busy);
    try {
      const result = await cli(["emulator", "--port", String(port)]);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: cannot listen( on 127\\.0\\.0\\.1:${port})?: the address is already in use`,
        ),
      );
      assert.doesNotMatch(result.stderr, /Error: listen|^\s+at /m);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });

  test("serves the emulator, prints the variables that point the CLI at it, stops on SIGINT (130)", async () => {
    const running = start(["emulator", "--json"], {});
    await until(() => running.stdout().includes("}"), "the emulator's JSON");
    const info = JSON.parse(running.stdout()) as { url: string; env: Record<string, string> };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.env.PRIME_API_BASE_URL, info.url);
    assert.equal(info.env.TENSORLAKE_SANDBOX_PROXY_URL, info.url);
    const exposed = await cli(["expose", "emu-sb", "3000"], info.env);
    assert.equal(exposed.code, 0, exposed.stderr);
    const listed = await cli(["ports", "emu-sb", "--json"], info.env);
    assert.equal(JSON.parse(listed.stdout).length, 1);
    running.kill("SIGINT");
    const result = await running.done;
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /emulator stopped/);
  });

  test("sandgate pty my-sandbox reaches it through TENSORLAKE_SANDBOX_PROXY_URL", {
    // The CLI runs on this runtime; Node 20 runs itself again with --experimental-websocket.
    skip: skipPty,
  }, async () => {
    const running = start(["emulator", "--json"], {});
    await until(() => running.stdout().includes("}"), "the emulator's JSON");
    const info = JSON.parse(running.stdout()) as { url: string; env: Record<string, string> };
    try {
      // A named sandbox reaches the emulator through the proxy, by X-Tensorlake-Sandbox-Id
      // (REST and the PTY WebSocket alike), as the banner suggests.
      const pty = start(["pty", "my-sandbox"], info.env);
      pty.write("echo named-hello\nexit 6\n");
      pty.end();
      const result = await pty.done;
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stdout, /^named-hello\r$/m);
    } finally {
      running.kill("SIGINT");
      await running.done;
    }
  });

  test("--no-limits lifts Prime's 20 / 60 s; each request is logged on stderr, query left out", async () => {
    const running = start(["emulator", "--json", "--no-limits"], {});
    await until(() => running.stdout().includes("}"), "the emulator's JSON");
    const info = JSON.parse(running.stdout()) as { url: string; env: Record<string, string> };
    assert.equal(info.env.TENSORLAKE_API_URL, info.url);
    try {
      const auth = { authorization: "Bearer emulator", "content-type": "application/json" };
      for (let i = 0; i < 25; i++) {
        const response = await fetch(`${info.url}/api/v1/sandbox/sb-1/expose`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ port: 3000 + i }),
        });
        assert.equal(response.status, 200, `request ${i + 1} of 25 is not rate limited`);
        await response.body?.cancel();
      }
      const odd = await fetch(`${info.url}/x%1B%5B31m/%E2%80%AE?token=tok-secret`);
      await odd.body?.cancel();
      await until(() => running.stderr().includes("/x%1B"), "the log line of the odd path");
    } finally {
      running.kill("SIGINT");
    }
    const { stderr } = await running.done;
    assert.equal(stderr.match(/^POST \/api\/v1\/sandbox\/sb-1\/expose 200$/gm)?.length, 25);
    assert.match(stderr, /^GET \/x%1B%5B31m\/%E2%80%AE 404$/m);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(stderr, /tok-secret|\x1b/);
  });

  test("the human form prints export lines", async () => {
    const running = start(["emulator"], {});
    await until(() => running.stdout().includes("sandgate pty"), "the emulator's banner");
    assert.match(running.stdout(), /^export PRIME_API_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(running.stdout(), /^export PRIME_API_KEY=/m);
    assert.match(running.stdout(), /^export TENSORLAKE_API_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(
      running.stdout(),
      /^export TENSORLAKE_SANDBOX_PROXY_URL=http:\/\/127\.0\.0\.1:\d+$/m,
    );
    assert.match(running.stdout(), /^sandgate pty my-sandbox$/m);
    running.kill("SIGTERM");
    assert.equal((await running.done).code, 143);
  });
});
