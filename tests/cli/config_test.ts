// Configuration as a CLI user meets it: a wrongly typed option is named as such (not "no API
// key"), even with the key in the environment; a ~/.prime/config.json that is a FIFO, a device,
// a directory or huge is refused at once with a ConfigError (issue 27 item 6); on Deno, a
// variable that cannot be read while its siblings can is an error naming the permission, never a
// fall back to the production host (item 4).
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ConfigError, MissingApiKeyError, PrimeIntellect, Tensorlake } from "../../mod.ts";
import { createEmulator, serve, type ServedEmulator } from "../../src/testing/mod.ts";
import { cli, ROOT, skipCli } from "./_helpers.ts";

test("apiKey of the wrong type says so, even with PRIME_API_KEY set", () => {
  const saved = process.env.PRIME_API_KEY;
  process.env.PRIME_API_KEY = "from-the-environment";
  try {
    for (const apiKey of [123, null, { key: "k" }, true]) {
      assert.throws(
        () => new PrimeIntellect({ apiKey } as never),
        (error: unknown) =>
          error instanceof ConfigError && !(error instanceof MissingApiKeyError) &&
          /^options\.apiKey: must be a string or a function returning one \(got \w+\)/.test(
            error.message,
          ) && !/no API key/.test(error.message),
        String(apiKey),
      );
    }
    assert.throws(
      () => new Tensorlake({ apiKey: 7 } as never),
      /options\.apiKey: must be a string/,
    );
    assert.doesNotThrow(() => new PrimeIntellect({ apiKey: () => "k" }));
  } finally {
    if (saved === undefined) delete process.env.PRIME_API_KEY;
    else process.env.PRIME_API_KEY = saved;
  }
});

describe("a hostile ~/.prime/config.json", { skip: skipCli }, () => {
  let server: ServedEmulator;
  let home: string;
  before(async () => {
    server = await serve(createEmulator({ apiKeys: ["file-key"] }));
  });
  after(() => server.close());
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "sandgate-home-"));
    mkdirSync(join(home, ".prime"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const config = () => join(home, ".prime", "config.json");
  // The base URL is the emulator's: whatever happens to the file, nothing leaves loopback.
  const run = () => cli(["ports", "sb"], { HOME: home, PRIME_API_BASE_URL: server.url });

  const hostile: [string, () => void, RegExp][] = [
    ["a FIFO nobody writes to", () => execFileSync("mkfifo", [config()]), /a FIFO/],
    ["a symlink to /dev/zero", () => symlinkSync("/dev/zero", config()), /a character device/],
    ["a directory", () => mkdirSync(config()), /a directory/],
    [
      "a 1 MiB file",
      () => writeFileSync(config(), `{"api_key": "${"k".repeat(1024 * 1024)}"}`),
      /larger than 65536 bytes/,
    ],
  ];
  for (const [what, make, kind] of hostile) {
    test(`${what}: a ConfigError that says so, at once (exit 3)`, {
      skip: what.includes("FIFO") && process.platform === "win32",
    }, async () => {
      make();
      const result = await run();
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /^error: ConfigError: .*\.prime\/config\.json: /m);
      assert.match(result.stderr, kind);
      assert.match(result.stderr, /reads only a regular file of at most 64 KiB/);
    });
  }

  test("a regular file still gives the key (prime login's file)", async () => {
    writeFileSync(config(), JSON.stringify({ api_key: "file-key" }));
    const result = await run();
    assert.equal(result.code, 0, result.stderr);
  });
});

const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;

describe("Deno with only some of a provider's variables allowed (--allow-env)", {
  skip: deno ? false : "Deno's permissions",
}, () => {
  /** Runs `code` (which may import the SDK as `SDK`) on Deno with `flags`; its stdout. */
  function runDeno(code: string, flags: string[], env: Record<string, string>): string {
    // Inside the repository, so the script resolves openapi-fetch from its node_modules.
    const dir = mkdtempSync(join(ROOT, ".tmp-env-"));
    try {
      const script = join(dir, "main.ts");
      writeFileSync(
        script,
        `import * as SDK from ${
          JSON.stringify(new URL("mod.ts", `file://${ROOT}`).href)
        };\n${code}`,
      );
      return execFileSync(deno!.execPath(), ["run", "--no-prompt", ...flags, script], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", ...env },
        timeout: 60_000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // A fetch that records where a call would go instead of going anywhere.
  const listOnce = `
    let url = "none";
    const fetch = (r) => { url = new Request(r).url; return Promise.resolve(Response.json({ exposures: [] })); };
    try {
      await new SDK.PrimeIntellect({ fetch }).sandbox("sb").listExposures();
      console.log("sent to", url);
    } catch (e) { console.log(e.name, e.message, "| sent to", url); }`;

  test("PRIME_API_BASE_URL set but unreadable: a ConfigError naming the permission, no default", () => {
    const out = runDeno(listOnce, ["--allow-read", "--allow-env=PRIME_API_KEY"], {
      PRIME_API_KEY: "emulator-key",
      PRIME_API_BASE_URL: "http://127.0.0.1:8788",
    });
    assert.match(out, /^ConfigError PRIME_API_BASE_URL cannot be read/m, out);
    assert.match(out, /--allow-env=PRIME_API_KEY,PRIME_API_BASE_URL,PRIME_BASE_URL/);
    assert.match(out, /sent to none/, "nothing went to the production host");
    assert.doesNotMatch(out, /api\.primeintellect\.ai/);
  });

  test("Tensorlake alike: TENSORLAKE_SANDBOX_PROXY_URL set but unreadable is a ConfigError", () => {
    const out = runDeno(
      `
      let url = "none";
      const fetch = (r) => { url = new Request(r).url; return Promise.resolve(Response.json({ sessions: [] })); };
      try {
        await new SDK.Tensorlake({ fetch }).sandbox("sb").listPtys();
        console.log("sent to", url);
      } catch (e) { console.log(e.name, e.message, "| sent to", url); }`,
      ["--allow-read", "--allow-env=TENSORLAKE_API_KEY"],
      { TENSORLAKE_API_KEY: "k", TENSORLAKE_SANDBOX_PROXY_URL: "http://127.0.0.1:8788" },
    );
    assert.match(out, /^ConfigError TENSORLAKE_SANDBOX_PROXY_URL cannot be read/m, out);
    assert.match(out, /--allow-env=TENSORLAKE_API_KEY,TENSORLAKE_SANDBOX_PROXY_URL,/);
    assert.match(out, /sent to none/);
  });

  test("the missing-key message names every variable to allow, at once", () => {
    const out = runDeno(listOnce, ["--allow-read"], { PRIME_API_KEY: "hidden" });
    assert.match(out, /^MissingApiKeyError /m, out);
    assert.match(out, /--allow-env=PRIME_API_KEY,PRIME_API_BASE_URL,PRIME_BASE_URL,HOME/);
  });

  test("all of them allowed: the configured URL is used", () => {
    const out = runDeno(listOnce, [
      "--allow-read",
      "--allow-env=PRIME_API_KEY,PRIME_API_BASE_URL,PRIME_BASE_URL,HOME",
    ], { PRIME_API_KEY: "k", PRIME_API_BASE_URL: "http://127.0.0.1:8788" });
    assert.match(out, /^sent to http:\/\/127\.0\.0\.1:8788\/api\/v1\/sandbox\/sb\/expose/m, out);
  });
});
