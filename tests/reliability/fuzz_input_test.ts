/**
 * Fuzzed input for every public argument of the high-level API: the SDK
 * either sends requests the spec accepts (bodies validated with ajv against
 * `openapi/*.yaml`, paths free of traversal with every segment decoding to
 * the given id, values carried unchanged) or throws `InvalidArgumentError`
 * with no request made.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError, PrimeIntellect, SandgateError, Tensorlake } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import {
  anyValue,
  FC_PARAMS,
  hostileNumber,
  hostileString,
  optional,
  plainId,
  pollutedObject,
} from "./_arbitraries.ts";
import { SpecValidator } from "./_spec_schemas.ts";

const prime = new SpecValidator("primeintellect");
const tensorlake = new SpecValidator("tensorlake");
const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFuzz fuzz@test";

/** A fresh emulator behind a recorder; no rate limit so runs stay independent. */
function harness() {
  const emulator = createEmulator({ rateLimit: false });
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    // The sandbox lookup before a sandbox's first port or SSH call (the VM check) is not
    // what is fuzzed here: it is answered, not recorded.
    const lookup = request.method === "GET" &&
      /^\/api\/v1\/sandbox\/[^/]+$/.test(new URL(request.url).pathname);
    if (!lookup) requests.push(request.clone());
    return emulator.fetch(request);
  };
  const options = { apiKey: "fuzz-key", fetch, rateLimit: false as const, retry: false as const };
  return { requests, prime: new PrimeIntellect(options), tensorlake: new Tensorlake(options) };
}

type Outcome = "sent" | "refused" | "failed";

/**
 * Runs `call`; a throw must be an `InvalidArgumentError` with nothing sent,
 * or (after sending) another `SandgateError`. Every request sent is checked
 * against the spec.
 */
async function check(
  requests: Request[],
  call: () => unknown,
  spec: (request: Request) => SpecValidator,
  expected: (request: Request) => Record<string, string>,
  since = 0,
): Promise<Outcome> {
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  const sent = requests.slice(since);
  if (error instanceof InvalidArgumentError) {
    assert.equal(sent.length, 0, `refused after sending ${sent.map((r) => r.url).join(", ")}`);
    return "refused";
  }
  if (error !== undefined) {
    assert.ok(error instanceof SandgateError, `not a SandgateError: ${String(error)}`);
    // Failing without sending anything is a refusal, and must say so.
    assert.ok(sent.length > 0, `failed before sending, but not as InvalidArgumentError: ${error}`);
  }
  for (const request of sent) {
    assert.deepEqual(await spec(request).check(request, expected(request)), [], request.url);
  }
  return error === undefined ? "sent" : "failed";
}

function tally() {
  const counts: Record<Outcome, number> = { sent: 0, refused: 0, failed: 0 };
  return {
    counts,
    add: (o: Outcome) => void counts[o]++,
    assertBoth: () =>
      assert.ok(counts.sent > 10 && counts.refused > 10, `vacuous: ${JSON.stringify(counts)}`),
  };
}

const idArb = () => fc.oneof(plainId(), hostileString(), anyValue());

test("exposePort: any sandbox id, port, name and protocol", async () => {
  const t = tally();
  await fc.assert(
    fc.asyncProperty(
      idArb(),
      fc.oneof(fc.integer({ min: 22, max: 9000 }), hostileNumber(), anyValue()),
      optional(fc.oneof(fc.string({ maxLength: 50 }), hostileString(), anyValue())),
      optional(fc.oneof(fc.constantFrom("HTTP", "tcp", "Tcp", "UDP", "http "), anyValue())),
      async (sandboxId, port, name, protocol) => {
        const h = harness();
        const outcome = await check(
          h.requests,
          async () => {
            const options: Record<string, unknown> = { port };
            if (name !== undefined) options.name = name;
            if (protocol !== undefined) options.protocol = protocol;
            const exposure = await h.prime.sandbox(sandboxId as string).exposePort(
              options as never,
            );
            // What was sent is what was asked for.
            const body = await h.requests[0]!.clone().json();
            assert.equal(body.port, port);
            if (typeof name === "string") assert.equal(body.name, name);
            if (typeof protocol === "string") assert.equal(body.protocol, protocol.toUpperCase());
            await exposure.unexpose();
          },
          () => prime,
          () => ({ sandbox_id: sandboxId as string }),
        );
        t.add(outcome);
      },
    ),
    FC_PARAMS,
  );
  t.assertBoth();
});

test("exposePort: options objects with prototype-pollution or unknown keys", async () => {
  await fc.assert(
    fc.asyncProperty(pollutedObject(), fc.integer({ min: 22, max: 9000 }), async (extra, port) => {
      const h = harness();
      const options = Object.assign(JSON.parse(JSON.stringify(extra)), { port });
      const outcome = await check(
        h.requests,
        () => h.prime.sandbox("sb").exposePort(options),
        () => prime,
        () => ({ sandbox_id: "sb" }),
      );
      assert.equal(
        ({} as Record<string, unknown>).polluted,
        undefined,
        "Object.prototype polluted",
      );
      assert.notEqual(outcome, "failed");
    }),
    FC_PARAMS,
  );
});

test("unexposePort / closeSshSession: any ids", async () => {
  const t = tally();
  await fc.assert(
    fc.asyncProperty(idArb(), idArb(), fc.boolean(), async (sandboxId, id, ssh) => {
      const h = harness();
      const outcome = await check(
        h.requests,
        () => {
          const sb = h.prime.sandbox(sandboxId as string);
          return ssh ? sb.closeSshSession(id as string) : sb.unexposePort(id as string);
        },
        () => prime,
        () => ({
          sandbox_id: sandboxId as string,
          exposure_id: id as string,
          session_id: id as string,
        }),
      );
      t.add(outcome);
    }),
    FC_PARAMS,
  );
  t.assertBoth();
});

test("createSshSession, sshCommand and authorizeKey: any ttl, identity file and public key", async () => {
  const t = tally();
  await fc.assert(
    fc.asyncProperty(
      optional(fc.oneof(fc.integer({ min: 1, max: 3600 }), hostileNumber(), anyValue())),
      fc.oneof(fc.constantFrom("~/.ssh/id_ed25519", "/k/a b", "-oProxyCommand=x"), anyValue()),
      fc.oneof(
        fc.constant(PUBLIC_KEY),
        fc.constant(`${PUBLIC_KEY}\n`),
        fc.constant(`${PUBLIC_KEY}\r\nX-Injected: 1`),
        fc.constant(`${PUBLIC_KEY}\nssh-ed25519 AAAAsecond x`),
        anyValue(),
      ),
      async (ttlSeconds, identityFile, publicKey) => {
        const h = harness();
        const outcome = await check(
          h.requests,
          async () => {
            const session = await h.prime.sandbox("sb").createSshSession(
              ttlSeconds === undefined ? {} : { ttlSeconds } as never,
            );
            try {
              let command: { argv: readonly string[]; command: string } | undefined;
              try {
                command = session.sshCommand({ identityFile } as never);
              } catch (error) {
                assert.ok(error instanceof InvalidArgumentError, String(error));
              }
              if (command) {
                // The identity file is one argv element, right after -i.
                const i = command.argv.indexOf("-i");
                assert.equal(command.argv[i + 1], identityFile);
                assert.ok(!/[\r\n]/.test(command.command), "one printable line");
              }
              await session.authorizeKey(publicKey as string).catch((error) => {
                assert.ok(error instanceof InvalidArgumentError, String(error));
              });
            } finally {
              await session.close();
            }
          },
          (request) => new URL(request.url).pathname.includes("/authorize") ? authorizeSpec : prime,
          () => ({ sandbox_id: "sb" }),
        );
        t.add(outcome);
      },
    ),
    FC_PARAMS,
  );
  t.assertBoth();
});

/** The gateway's authorize request is not in the specs: check its shape by hand. */
const authorizeSpec = {
  async check(request: Request): Promise<string[]> {
    const body = await request.clone().json();
    const problems: string[] = [];
    if (typeof body.session_id !== "string") problems.push("session_id");
    if (typeof body.public_key !== "string" || /[\r\n\0]/.test(body.public_key)) {
      problems.push(`public_key ${JSON.stringify(body.public_key)}`);
    }
    return problems;
  },
} as unknown as SpecValidator;

test("Tensorlake sandbox(idOrEndpoint) and createPty: any command, args, env, workingDir, rows, cols", async () => {
  const t = tally();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constantFrom("sb-1", "http://127.0.0.1:9", "https://x.example"), idArb()),
      fc.oneof(fc.constantFrom("bash", "/bin/sh"), hostileString(), anyValue()),
      optional(fc.oneof(fc.array(fc.oneof(fc.string(), hostileString())), anyValue())),
      optional(
        fc.oneof(
          fc.dictionary(fc.string(), fc.string()),
          fc.dictionary(hostileString(), hostileString()),
          pollutedObject(),
          anyValue(),
        ),
      ),
      optional(fc.oneof(fc.string(), hostileString(), anyValue())),
      optional(fc.oneof(fc.integer({ min: 1, max: 500 }), hostileNumber())),
      optional(fc.oneof(fc.integer({ min: 1, max: 1000 }), hostileNumber())),
      async (sandbox, command, args, env, workingDir, rows, cols) => {
        const h = harness();
        const outcome = await check(
          h.requests,
          async () => {
            const options: Record<string, unknown> = { command };
            if (args !== undefined) options.args = args;
            if (env !== undefined) options.env = env;
            if (workingDir !== undefined) options.workingDir = workingDir;
            if (rows !== undefined) options.rows = rows;
            if (cols !== undefined) options.cols = cols;
            const pty = await h.tensorlake.sandbox(sandbox as string).createPty(options as never);
            const body = await h.requests[0]!.clone().json();
            assert.equal(body.command, command);
            if (Array.isArray(args)) assert.deepEqual(body.args, args);
            if (typeof workingDir === "string") assert.equal(body.working_dir, workingDir);
            await pty.kill();
          },
          () => tensorlake,
          () => ({}),
        );
        assert.equal(
          ({} as Record<string, unknown>).polluted,
          undefined,
          "Object.prototype polluted",
        );
        t.add(outcome);
      },
    ),
    FC_PARAMS,
  );
  t.assertBoth();
});

test("Tensorlake getPty / resizePty / killPty: any id, rows and cols", async () => {
  const t = tally();
  await fc.assert(
    fc.asyncProperty(
      idArb(),
      fc.oneof(fc.integer({ min: 1, max: 500 }), hostileNumber(), anyValue()),
      fc.oneof(fc.integer({ min: 1, max: 1000 }), hostileNumber(), anyValue()),
      fc.constantFrom("get", "resize", "kill"),
      async (id, rows, cols, op) => {
        const h = harness();
        const sb = h.tensorlake.sandbox("sb-1");
        const outcome = await check(
          h.requests,
          () =>
            op === "get"
              ? sb.getPty(id as string)
              : op === "kill"
              ? sb.killPty(id as string)
              : sb.resizePty(id as string, { rows, cols } as never),
          () => tensorlake,
          () => ({ session_id: id as string }),
        );
        t.add(outcome);
      },
    ),
    FC_PARAMS,
  );
  t.assertBoth();
});
