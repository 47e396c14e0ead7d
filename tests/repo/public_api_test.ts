// Repo-only (Deno, subprocesses, esbuild): the traps of issue 15 that need a
// bundler, a permission-less Deno or the repository's files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import { NotFoundError, VERSION } from "../../mod.ts";

const ROOT = new URL("../../", import.meta.url);
const root = decodeURIComponent(ROOT.pathname);

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

test("VERSION is deno.json's version (the one source of truth)", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(VERSION, config.version);
});

test("error names and guards survive esbuild --minify; instanceof works across copies", async () => {
  const result = await build({
    stdin: {
      contents: `export * from "./mod.ts";`,
      resolveDir: root,
      sourcefile: "entry.ts",
      loader: "ts",
    },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    write: false,
    logLevel: "silent",
  });
  const dir = await Deno.makeTempDir({ prefix: "sandgate-minified-" });
  try {
    const file = `${dir}/bundle.js`;
    await Deno.writeTextFile(file, result.outputFiles[0]!.text);
    const copy = await import(`file://${file}`);
    assert.notEqual(copy.NotFoundError.name, "NotFoundError", "the class name was minified");
    const sandbox = new copy.Tensorlake({
      apiKey: "k",
      retry: false,
      rateLimit: false,
      fetch: () =>
        Promise.resolve(Response.json({ error: "gone", code: "NOT_FOUND" }, { status: 404 })),
    }).sandbox("sb");
    const error = await sandbox.getPty("pty-1").catch((e: unknown) => e);
    assert.equal(error.name, "NotFoundError");
    assert.match(String(error.stack), /^NotFoundError: /);
    assert.equal(copy.isApiError(error), true);
    // The source build recognises the minified copy's error, and the other way round.
    assert.ok(error instanceof NotFoundError);
    const ours = new NotFoundError({ status: 404, provider: "tensorlake", operation: "getPty" });
    assert.ok(ours instanceof copy.NotFoundError);
    assert.ok(ours instanceof copy.SandgateError);
    assert.ok(!(ours instanceof copy.ConfigError));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("Deno without --allow-env: a missing key says to grant --allow-env=PRIME_API_KEY", async () => {
  // Inside the repository, so the script resolves openapi-fetch from its node_modules.
  const dir = await Deno.makeTempDir({ dir: root, prefix: ".tmp-no-env-" });
  const script = `${dir}/main.ts`;
  await Deno.writeTextFile(
    script,
    `import { PrimeIntellect } from ${JSON.stringify(new URL("mod.ts", ROOT).href)};
    const prime = new PrimeIntellect({ fetch: () => Promise.resolve(Response.json({ exposures: [] })) });
    await prime.sandbox("sb").listExposures().catch((e) => console.log(e.name, e.message));`,
  );
  let stdout: string;
  try {
    ({ stdout } = await run(["run", "--no-prompt", "--allow-read", script], {
      PRIME_API_KEY: "set-but-hidden",
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.match(stdout, /^MissingApiKeyError /);
  assert.match(stdout, /run Deno with --allow-env=PRIME_API_KEY/);
  assert.doesNotMatch(stdout, /set the PRIME_API_KEY environment variable/);
});

const EXAMPLES: [string, RegExp][] = [
  ["expose_port.ts", /live exposures after the scope: 0/],
  ["ssh_session.ts", /closed: \{ alreadyGone: false \}/],
  ["pty.ts", /live PTYs: 0/],
  ["errors.ts", /refused by the client/],
  ["debug.ts", /events: request, response, retry, request, response/],
];

test("every script in examples/ type-checks and runs against the emulator, with no permission", async () => {
  // Scripts only: examples/web_terminal/ is a server, run by tests/browser/ in Chromium.
  const files = [...Deno.readDirSync(new URL("examples/", ROOT))]
    .filter((e) => e.isFile).map((e) => e.name).sort();
  assert.deepEqual(files, EXAMPLES.map(([name]) => name).sort(), "each example has a check here");
  // One type check of them all (a `run --check` each re-checked the library five times, 20 s).
  const checked = await run(["check", ...files.map((name) => `examples/${name}`)]);
  assert.equal(checked.code, 0, `deno check examples/:\n${checked.stdout}\n${checked.stderr}`);
  for (const [name, expected] of EXAMPLES) {
    const { code, stdout, stderr } = await run([
      "run",
      "--no-check",
      "--no-prompt",
      `examples/${name}`,
    ]);
    assert.equal(code, 0, `${name}:\n${stdout}\n${stderr}`);
    assert.match(stdout, expected, name);
  }
});

test("deno doc of the root entry lists only the user API", async () => {
  const { code, stdout } = await run(["doc", "--json", "mod.ts"]);
  assert.equal(code, 0);
  const doc = JSON.parse(stdout) as {
    nodes: Record<string, { symbols: { name: string }[] }>;
  };
  const names = new Set(Object.values(doc.nodes).flatMap((n) => n.symbols.map((s) => s.name)));
  // A sanity range, not a budget: forwarding, readiness, reconnect and the web terminal added
  // their option and event types (91 names on 2026-12-06).
  assert.ok(names.size > 40 && names.size < 110, `${names.size} documented names`);
  const internals = [
    "compose",
    "authMiddleware",
    "retryMiddleware",
    "rateLimitMiddleware",
    "timeoutMiddleware",
    "networkErrorMiddleware",
    "callSignal",
    "digestHex",
    "toHex",
    "tokenHasher",
    "rateLimitKey",
    "classifyNetworkError",
    "describeValue",
    "providerName",
    "createApiError",
    "readEnv",
    "systemClock",
    "parseRetryAfter",
    "createPrimeIntellect",
    "ExposedPort",
    "ExposePortResponse",
    "SSHSessionResponse",
    "PtyFields",
  ];
  for (const name of internals) assert.ok(!names.has(name), `${name} is not user API`);
  for (const name of ["PrimeIntellect", "Tensorlake", "isSandgateError", "VERSION"]) {
    assert.ok(names.has(name), name);
  }
});
