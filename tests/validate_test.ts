import { test } from "node:test";
import assert from "node:assert/strict";
import {
  InvalidArgumentError,
  type PrimeIntellectSandbox,
  type TensorlakeSandbox,
} from "../mod.ts";
import { createEmulator } from "../src/testing/mod.ts";
import { prime, recordingFetch, sshBody, tensorlake } from "./helpers/fake_fetch.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

interface Case {
  name: string;
  /** The field the error must name. */
  field: string;
  call: (sandboxes: { prime: PrimeIntellectSandbox; tensorlake: TensorlakeSandbox }) => unknown;
  /** Text that must not appear in the message (a secret). */
  secret?: string;
}

const CASES: Case[] = [
  // exposePort
  { name: "port below 22", field: "port", call: (s) => s.prime.exposePort({ port: 21 }) },
  { name: "port above 9000", field: "port", call: (s) => s.prime.exposePort({ port: 9001 }) },
  { name: "port not an integer", field: "port", call: (s) => s.prime.exposePort({ port: 80.5 }) },
  { name: "port NaN", field: "port", call: (s) => s.prime.exposePort({ port: NaN }) },
  {
    name: "port as a string",
    field: "port",
    call: (s) => s.prime.exposePort({ port: "8000" as Loose }),
  },
  { name: "port missing", field: "port", call: (s) => s.prime.exposePort({} as Loose) },
  // Prime does not expose these (docs.primeintellect.ai/sandboxes/cli, "Expose Ports").
  ...[8080, 2222, 8081].map((port): Case => ({
    name: `port ${port}, which Prime does not expose`,
    field: "port",
    call: (s) => s.prime.exposePort({ port }),
  })),
  {
    name: "name longer than 50",
    field: "name",
    call: (s) => s.prime.exposePort({ port: 8000, name: "x".repeat(51) }),
  },
  {
    name: "name not a string",
    field: "name",
    call: (s) => s.prime.exposePort({ port: 8000, name: 5 as Loose }),
  },
  {
    name: "protocol UDP",
    field: "protocol",
    call: (s) => s.prime.exposePort({ port: 8000, protocol: "UDP" }),
  },
  {
    name: "protocol not a string",
    field: "protocol",
    call: (s) => s.prime.exposePort({ port: 8000, protocol: 1 as Loose }),
  },
  {
    name: "exposePort options null",
    field: "options",
    call: (s) => s.prime.exposePort(null as Loose),
  },
  {
    name: "exposePort options a number",
    field: "options",
    call: (s) => s.prime.exposePort(8000 as Loose),
  },
  {
    name: "exposePort unknown option",
    field: "options.protocl",
    call: (s) => s.prime.exposePort({ port: 8000, protocl: "TCP" } as Loose),
  },
  {
    name: "call options not an object",
    field: "options",
    call: (s) => s.prime.exposePort({ port: 8000 }, "fast" as Loose),
  },
  {
    name: "timeoutMs negative",
    field: "options.timeoutMs",
    call: (s) => s.prime.exposePort({ port: 8000 }, { timeoutMs: -1 }),
  },
  {
    name: "timeoutMs beyond what a timer can wait",
    field: "options.timeoutMs",
    call: (s) => s.tensorlake.listPtys({ timeoutMs: 2 ** 31 }),
  },
  {
    name: "timeoutMs Infinity",
    field: "options.timeoutMs",
    call: (s) => s.tensorlake.listPtys({ timeoutMs: Infinity }),
  },
  {
    name: "signal not an AbortSignal",
    field: "options.signal",
    call: (s) => s.prime.listExposures({ signal: {} as Loose }),
  },
  // ids in paths
  { name: "exposureId ..", field: "exposureId", call: (s) => s.prime.unexposePort("..") },
  { name: "exposureId with /", field: "exposureId", call: (s) => s.prime.unexposePort("a/b") },
  { name: "exposureId with %", field: "exposureId", call: (s) => s.prime.unexposePort("%2e") },
  { name: "exposureId empty", field: "exposureId", call: (s) => s.prime.unexposePort("") },
  { name: "sessionId with ?", field: "sessionId", call: (s) => s.prime.closeSshSession("a?b") },
  { name: "sessionId with #", field: "sessionId", call: (s) => s.tensorlake.killPty("a#b") },
  { name: "sessionId with \\", field: "sessionId", call: (s) => s.tensorlake.getPty("a\\b") },
  { name: "sessionId with space", field: "sessionId", call: (s) => s.tensorlake.getPty("a b") },
  {
    name: "sessionId with a control character",
    field: "sessionId",
    call: (s) => s.tensorlake.resizePty("a\u0007", { rows: 1, cols: 1 }),
  },
  {
    name: "strict not a boolean",
    field: "options.strict",
    call: (s) => s.tensorlake.killPty("p", { strict: "yes" as Loose }),
  },
  // createSshSession
  {
    name: "ttlSeconds 0",
    field: "ttlSeconds",
    call: (s) => s.prime.createSshSession({ ttlSeconds: 0 }),
  },
  {
    name: "ttlSeconds 3601",
    field: "ttlSeconds",
    call: (s) => s.prime.createSshSession({ ttlSeconds: 3601 }),
  },
  {
    name: "ttlSeconds fractional",
    field: "ttlSeconds",
    call: (s) => s.prime.createSshSession({ ttlSeconds: 1.5 }),
  },
  {
    name: "createSshSession options a string",
    field: "options",
    call: (s) => s.prime.createSshSession("600" as Loose),
  },
  // createPty
  { name: "command empty", field: "command", call: (s) => s.tensorlake.createPty({ command: "" }) },
  {
    name: "command missing",
    field: "command",
    call: (s) => s.tensorlake.createPty({} as Loose),
  },
  {
    name: "args not an array",
    field: "args",
    call: (s) => s.tensorlake.createPty({ command: "sh", args: "-l" as Loose }),
  },
  {
    name: "args with a number",
    field: "args[1]",
    call: (s) => s.tensorlake.createPty({ command: "sh", args: ["-c", 1 as Loose] }),
  },
  {
    name: "env not an object",
    field: "env",
    call: (s) => s.tensorlake.createPty({ command: "sh", env: ["A=1"] as Loose }),
  },
  {
    name: "env value not a string (never echoed)",
    field: "env.TOKEN",
    call: (s) =>
      s.tensorlake.createPty({ command: "sh", env: { TOKEN: ["env-SECRET-value"] as Loose } }),
    secret: "env-SECRET-value",
  },
  {
    name: "env value with NUL (never echoed)",
    field: "env.TOKEN",
    call: (s) => s.tensorlake.createPty({ command: "sh", env: { TOKEN: "env-SECRET\0value" } }),
    secret: "env-SECRET",
  },
  {
    name: "env name with =",
    field: "env",
    call: (s) => s.tensorlake.createPty({ command: "sh", env: { "A=B": "1" } }),
  },
  {
    name: "env name __proto__",
    field: "env",
    call: (s) => s.tensorlake.createPty({ command: "sh", env: JSON.parse('{"__proto__": "x"}') }),
  },
  {
    name: "workingDir not a string",
    field: "workingDir",
    call: (s) => s.tensorlake.createPty({ command: "sh", workingDir: 1 as Loose }),
  },
  {
    name: "rows 0",
    field: "rows",
    call: (s) => s.tensorlake.createPty({ command: "sh", rows: 0 }),
  },
  {
    name: "cols 65536",
    field: "cols",
    call: (s) => s.tensorlake.createPty({ command: "sh", cols: 65536 }),
  },
  {
    name: "resize rows fractional",
    field: "rows",
    call: (s) => s.tensorlake.resizePty("p", { rows: 1.5, cols: 80 }),
  },
  {
    name: "resize cols missing",
    field: "cols",
    call: (s) => s.tensorlake.resizePty("p", { rows: 10 } as Loose),
  },
  {
    name: "resize size not an object",
    field: "size",
    call: (s) => s.tensorlake.resizePty("p", 10 as Loose),
  },
];

for (const c of CASES) {
  test(`rejected before any request: ${c.name}`, async () => {
    const primeFetch = recordingFetch();
    const tlFetch = recordingFetch();
    const sandboxes = {
      prime: prime(primeFetch.fetch).sandbox("sb-1"),
      tensorlake: tensorlake(tlFetch.fetch).sandbox("my-sb"),
    };
    await assert.rejects(async () => await c.call(sandboxes), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.field, c.field);
      assert.ok(error.message.startsWith(`${c.field}: `), error.message);
      assert.ok(error.rule.length > 0);
      if (c.secret) assert.ok(!error.message.includes(c.secret), error.message);
      return true;
    });
    assert.equal(primeFetch.requests.length, 0);
    assert.equal(tlFetch.requests.length, 0);
  });
}

test("the rejected value is shown in the message when it is not secret", async () => {
  const { fetch } = recordingFetch();
  await assert.rejects(
    prime(fetch).sandbox("sb-1").exposePort({ port: 80000 }),
    { message: "port: must be an integer from 22 to 9000 (got 80000)" },
  );
});

test("valid edge values pass: port 22 and 9000, name of 50, ttl 1 and 3600, 500 rows, 1000 cols", async () => {
  const primeFetch = recordingFetch((request) =>
    Response.json(
      request.url.endsWith("ssh-session") ? sshBody() : {
        exposure_id: "e",
        sandbox_id: "sb-1",
        port: 22,
        protocol: "HTTP",
        url: "https://x",
        tls_socket: "x:443",
      },
    )
  );
  const sandbox = prime(primeFetch.fetch).sandbox("sb-1");
  await sandbox.exposePort({ port: 22, name: "é".repeat(50), protocol: "Http" });
  await sandbox.exposePort({ port: 9000 });
  await sandbox.createSshSession({ ttlSeconds: 1 });
  await sandbox.createSshSession({ ttlSeconds: 3600 });
  assert.equal(primeFetch.requests.length, 4);
  assert.deepEqual(primeFetch.bodies[0], { port: 22, name: "é".repeat(50), protocol: "HTTP" });

  const tlFetch = recordingFetch(() =>
    Response.json({ session_id: "p", token: "t" }, { status: 201 })
  );
  await tensorlake(tlFetch.fetch).sandbox("my-sb").createPty({
    command: "sh",
    rows: 500,
    cols: 1000,
    env: {},
    args: [""],
  });
  assert.equal(tlFetch.requests.length, 1);
});

test("env: inherited and symbol keys are ignored, own keys are copied", async () => {
  const { bodies, fetch } = recordingFetch(() =>
    Response.json({ session_id: "p", token: "t" }, { status: 201 })
  );
  const env = Object.create({ INHERITED: "no" });
  env.OWN = "yes";
  env[Symbol("s")] = "no";
  await tensorlake(fetch).sandbox("my-sb").createPty({ command: "sh", env });
  assert.deepEqual(bodies[0], { command: "sh", env: { OWN: "yes" } });
});

const PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA-SECRET\n";

for (
  const [name, key] of [
    ["a private key", PRIVATE_KEY],
    ["two lines", "ssh-ed25519 KEYDATAa a\nssh-ed25519 KEYDATAb b"],
    ["an unknown type", "ssh-foo KEYDATA"],
    ["no key data", "ssh-ed25519"],
    ["not a string", 42],
  ] as const
) {
  test(`authorizeKey rejects ${name} without echoing it or sending`, async () => {
    const { requests, fetch } = recordingFetch(() => Response.json(sshBody()));
    const session = await prime(fetch).sandbox("sb-1").createSshSession();
    await assert.rejects(session.authorizeKey(key as string), (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.equal(error.field, "publicKey");
      assert.ok(!error.message.includes("SECRET"), error.message);
      assert.ok(!error.message.includes("KEYDATA"), error.message);
      return true;
    });
    assert.equal(requests.length, 1);
  });
}

test("sshCommand rejects a bad identityFile", async () => {
  const { fetch } = recordingFetch(() => Response.json(sshBody()));
  const session = await prime(fetch).sandbox("sb-1").createSshSession();
  for (const bad of ["", "a\nb", "a\0b", 7, undefined]) {
    assert.throws(
      () => session.sshCommand({ identityFile: bad as string }),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === "identityFile",
    );
  }
  assert.throws(() => session.sshCommand(undefined as Loose), InvalidArgumentError);
});

test("a port Prime does not expose: the message says which and why", async () => {
  const { fetch, requests } = recordingFetch();
  await assert.rejects(prime(fetch).sandbox("sb-1").exposePort({ port: 8080 }), (error) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(error.field, "port");
    assert.match(error.message, /^port: must not be 8080, 2222 or 8081: Prime Intellect does not/);
    assert.match(error.message, /\(got 8080\)$/);
    return true;
  });
  assert.equal(requests.length, 0);
  // Their own SDK guide's port, and the range's ends, pass.
  const emulator = createEmulator({ rateLimit: false });
  for (const port of [8000, 22, 9000, 8079, 8082]) {
    assert.equal((await prime(emulator.fetch).sandbox("sb-1").exposePort({ port })).port, port);
  }
});
