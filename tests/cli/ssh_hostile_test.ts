// `sandgate ssh` against a hostile Prime server of our own on 127.0.0.1, with a fake `ssh`
// that records its argv:
// - like `prime sandbox ssh` (PrimeIntellect-ai/prime packages/prime/src/prime_cli/commands/
//   sandbox.py@66fb4b7, `ssh_connect`), the sandbox is looked up first and a VM sandbox or one
//   that is not RUNNING is refused, saying its state, before any key or session is made;
// - the session answer is checked whole, once, before any use (id safe as ssh's user name,
//   host an IP or a DNS name, port 1..65535): a refused session is closed, nothing is
//   authorized or probed, and ssh never runs; no host here is ever resolved;
// - what ssh connects to is printed, and the server's `external_endpoint` when it differs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { listenOnLoopback } from "../helpers/loopback.ts";
import { type HostileServer, startHostileServer } from "../reliability/_hostile_server.ts";
import { cli, type FakeBin, fakeSshBin, skipCli } from "./_helpers.ts";

interface Plan {
  sandbox: Record<string, unknown>;
  session: Record<string, unknown>;
}

describe("sandgate ssh against a hostile server", { skip: skipCli }, () => {
  let server: HostileServer;
  let banner: Server;
  let bannerPort: number;
  let bin: FakeBin;
  let plan: Plan;
  let env: Record<string, string>;

  const session = (overrides: Record<string, unknown> = {}) => ({
    session_id: "ssh-1",
    exposure_id: "exp-1",
    sandbox_id: "sb",
    host: "127.0.0.1",
    port: bannerPort,
    external_endpoint: `127.0.0.1:${bannerPort}`,
    expires_at: new Date(Date.now() + 600_000).toISOString(),
    ttl_seconds: 600,
    gateway_url: `${server.url}/gateway`,
    user_ns: "ns",
    job_id: "job",
    token: "session-token",
    ...overrides,
  });

  before(async () => {
    // An endpoint that answers like sshd: a banner at once.
    banner = createServer((socket) => socket.end("SSH-2.0-fake\r\n"));
    bannerPort = await listenOnLoopback(banner);
    server = await startHostileServer((exchange) => {
      const { method, url } = exchange.received;
      const path = url.split("?")[0]!;
      const reply = (status: number, body: unknown): void => {
        exchange.res.writeHead(status, { "content-type": "application/json" })
          .end(JSON.stringify(body));
      };
      if (method === "GET" && /^\/api\/v1\/sandbox\/[^/]+$/.test(path)) {
        return reply(200, plan.sandbox);
      }
      if (method === "POST" && path.endsWith("/ssh-session")) return reply(200, plan.session);
      if (method === "DELETE" && path.includes("/ssh-session/")) {
        return reply(200, { success: true, message: "closed" });
      }
      if (method === "POST" && path.endsWith("/authorize")) return reply(200, {});
      reply(404, { detail: "Not Found" });
    }, { lookups: true });
    bin = fakeSshBin();
    env = { PRIME_API_KEY: "hostile-key", PRIME_API_BASE_URL: server.url, PATH: bin.path };
  });
  after(async () => {
    await server.close();
    await new Promise<void>((resolve) => banner.close(() => resolve()));
    bin.remove();
  });

  /** Runs `sandgate ssh sb` with `plan`; what reached the server, and whether ssh ran. */
  async function run(next: Plan) {
    plan = next;
    server.received.length = 0;
    rmSync(bin.file("ssh.argv"), { force: true });
    writeFileSync(bin.file("keygen.argv"), "not run");
    const result = await cli(["ssh", "sb"], env);
    const sent = server.received.map((r) => `${r.method} ${r.url}`);
    const argv = existsSync(bin.file("ssh.argv"))
      ? readFileSync(bin.file("ssh.argv"), "utf8").trimEnd().split("\n")
      : undefined;
    const keygen = readFileSync(bin.file("keygen.argv"), "utf8");
    return { result, sent, argv, keygenRan: keygen !== "not run" };
  }

  const running = { id: "sb", status: "RUNNING", vm: false };

  test("a VM sandbox: refused before any key or session, saying so", async () => {
    const { result, sent, argv, keygenRan } = await run({
      sandbox: { ...running, vm: true },
      session: session(),
    });
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /^error: CliError: ssh: sb is a VM sandbox; Prime Intellect does not support SSH on VM sandboxes yet$/m,
    );
    assert.deepEqual(sent, ["GET /api/v1/sandbox/sb"]);
    assert.equal(argv, undefined);
    assert.equal(keygenRan, false);
  });

  for (const status of ["PENDING", "PAUSED", "TERMINATED"]) {
    test(`a ${status} sandbox: refused before any key or session, naming the status`, async () => {
      const { result, sent, argv, keygenRan } = await run({
        sandbox: { ...running, status },
        session: session(),
      });
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `^error: CliError: ssh: sb is not running \\(status: ${status}\\); SSH needs a RUNNING sandbox$`,
          "m",
        ),
      );
      assert.deepEqual(sent, ["GET /api/v1/sandbox/sb"]);
      assert.equal(argv, undefined);
      assert.equal(keygenRan, false);
    });
  }

  const refusals: [string, Record<string, unknown>, RegExp][] = [
    ["a port of 99999", { port: 99999 }, /port must be an integer from 1 to 65535 \(got "99999"\)/],
    ["a port of -1", { port: -1 }, /port must be an integer from 1 to 65535 \(got "-1"\)/],
    ["a port of 0", { port: 0 }, /port must be an integer from 1 to 65535 \(got "0"\)/],
    [
      "a host that reads as an ssh option",
      { host: "-oProxyCommand=touch /tmp/pwned" },
      /host must be an IP address or a DNS name \(got "-oProxyCommand=touch \/tmp\/pwned"\)/,
    ],
    ["a host with a space", { host: "127.0.0.1 -v" }, /host must be an IP address or a DNS name/],
    [
      "a host with a user part",
      { host: "root@127.0.0.1" },
      /host must be an IP address or a DNS name/,
    ],
    [
      "a session id that reads as an ssh option (its DELETE path is fine)",
      { session_id: "-oProxyCommand=x" },
      /session_id must be letters, digits, _ \. - \(not starting with \. or -\)/,
    ],
  ];
  for (const [name, overrides, message] of refusals) {
    test(`${name}: refused before authorize, probe or ssh; the session is closed`, async () => {
      const answer = session(overrides);
      const { result, sent, argv } = await run({ sandbox: running, session: answer });
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /^error: UnexpectedResponseError: Prime Intellect createSshSession: /m,
      );
      assert.match(result.stderr, message);
      assert.equal(argv, undefined, "ssh never ran");
      const id = encodeURIComponent(String(answer.session_id));
      assert.deepEqual(sent, [
        "GET /api/v1/sandbox/sb",
        "POST /api/v1/sandbox/sb/ssh-session",
        `DELETE /api/v1/sandbox/sb/ssh-session/${id}`,
      ], "nothing authorized; the session closed");
      assert.match(result.stderr, /session \S+ closed/);
      assert.doesNotMatch(result.stderr, /could not close/);
    });
  }

  test("an external_endpoint that differs: ssh connects to host:port, and both are printed", async () => {
    const { result, sent, argv } = await run({
      sandbox: running,
      session: session({ external_endpoint: "ssh.elsewhere.invalid:22" }),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(argv?.[0], "ssh-1@127.0.0.1");
    assert.equal(argv?.[argv.indexOf("-p") + 1], String(bannerPort));
    assert.match(
      result.stderr,
      new RegExp(
        `session ssh-1: connecting to 127\\.0\\.0\\.1:${bannerPort} \\(the session's external_endpoint says ssh\\.elsewhere\\.invalid:22\\)`,
      ),
    );
    assert.deepEqual(sent, [
      "GET /api/v1/sandbox/sb",
      "POST /api/v1/sandbox/sb/ssh-session",
      "POST /gateway/ns/job/authorize",
      "DELETE /api/v1/sandbox/sb/ssh-session/ssh-1",
    ]);
  });

  test("a matching external_endpoint: only what is connected to is printed", async () => {
    const { result } = await run({ sandbox: running, session: session() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(`session ssh-1: connecting to 127\\.0\\.0\\.1:${bannerPort}, expires`),
    );
    assert.doesNotMatch(result.stderr, /external_endpoint says/);
  });
});
