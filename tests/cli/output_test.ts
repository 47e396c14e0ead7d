// Terminal escape injection (issue 27 item 1): every server-sent string the CLI shows — URLs,
// ids, names, table cells, error details and text bodies, the ssh session line — reaches the
// terminal escaped, never interpreted; `--json` is strict JSON with those code points escaped;
// the PTY stream itself passes through untouched. Against a hostile proxy on 127.0.0.1.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  createEmulator,
  type Emulator,
  serve,
  type ServedEmulator,
} from "../../src/testing/mod.ts";
import { escapeControls, Output, rich, safeJson } from "../../src/cli/output.ts";
import { cli, fakeSshBin, ROOT, skipCli, skipPty, start } from "./_helpers.ts";
import { HOSTILE, hostileProxy, RAW_CONTROL } from "./_hostile.ts";

/** The escaped form of HOSTILE as the CLI shows it. */
const SHOWN = escapeControls(HOSTILE);

function assertClean(text: string, what: string): void {
  const found = RAW_CONTROL.exec(text);
  assert.equal(
    found,
    null,
    `${what}: raw U+${found?.[0].codePointAt(0)?.toString(16)} in ${JSON.stringify(text)}`,
  );
}

describe("the output layer", () => {
  test("escapes C0, DEL, C1, bidi, zero-width, BOM, separators, astral format characters", () => {
    assert.equal(escapeControls("a\x1b[2Jb"), "a\\x1b[2Jb");
    assert.equal(escapeControls("\x07\x7f\x9b\x85"), "\\x07\\x7f\\x9b\\x85");
    assert.equal(
      escapeControls("\u202a\u202e\u2066\u2069\u200b\u200f\ufeff\u2028\u2029\u061c\u00ad"),
      "\\u202a\\u202e\\u2066\\u2069\\u200b\\u200f\\ufeff\\u2028\\u2029\\u061c\\xad",
    );
    assert.equal(escapeControls("\u{e0001}\u{1d173}"), "\\u{e0001}\\u{1d173}");
    assert.equal(escapeControls("\ud800x"), "\\ud800x", "a lone surrogate");
    assert.equal(escapeControls("héllo wörld — 日本 🚀"), "héllo wörld — 日本 🚀");
    assertClean(escapeControls(HOSTILE), "escaped");
    // Escaping is idempotent: text already escaped is left as it is.
    assert.equal(escapeControls(escapeControls(HOSTILE)), escapeControls(HOSTILE));
  });

  test("--json: strict JSON, every such code point escaped, read back as the same string", () => {
    const value = { url: HOSTILE, list: [HOSTILE], n: 1 };
    const text = safeJson(value);
    assertClean(text, "json");
    assert.deepEqual(JSON.parse(text), value);
    assert.match(text, /\\u009b/);
    assert.match(text, /\\u202e/);
    assert.match(text, /\\udb40\\udc01/, "an astral format character as its surrogate pair");
  });

  test("colour is the only escape that reaches a terminal, and never around raw text", () => {
    let text = "";
    const stream = Object.assign(
      new Writable({
        write(chunk, _encoding, callback) {
          text += String(chunk);
          callback();
        },
      }),
      { isTTY: true },
    );
    const out = new Output({ stdout: stream, stderr: stream, env: {} });
    out.line(rich`${out.out.bold(HOSTILE)} and ${HOSTILE}`);
    out.note(out.err.red(HOSTILE));
    out.table(["A", "B"], [[HOSTILE, HOSTILE]]);
    out.lines(`one${HOSTILE}\ntwo\n`);
    const colourless = ["\x1b[1m", "\x1b[22m", "\x1b[31m", "\x1b[39m"]
      .reduce((t, sgr) => t.replaceAll(sgr, ""), text);
    assertClean(colourless, "tty output");
    assert.ok(text.includes(`\x1b[1m${SHOWN}\x1b[22m and ${SHOWN}\n`), text);
    assert.ok(text.includes(`\x1b[31m${SHOWN}\x1b[39m\n`));
    // Rich text used as a plain string: escaped, no colour.
    assert.equal(`${out.out.bold(HOSTILE)}`, SHOWN);
  });

  test("nothing in src/cli writes to stdout or stderr but the output layer", () => {
    const dir = join(ROOT, "src/cli");
    const files = [
      ...readdirSync(dir).map((f) => join(dir, f)),
      ...readdirSync(join(dir, "commands")).map((f) => join(dir, "commands", f)),
    ].filter((f) => f.endsWith(".ts") && !f.endsWith("/output.ts"));
    assert.ok(files.length >= 10, "the CLI's sources are found");
    for (const file of files) {
      // The code, without comments (doc examples may print).
      const source = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      const name = file.slice(ROOT.length);
      assert.doesNotMatch(source, /\bconsole\./, `${name} uses console`);
      assert.doesNotMatch(source, /\.(stdout|stderr)\.write\b|\bio\.std(out|err)\b/, name);
      if (!file.endsWith("/terminal.ts")) {
        assert.doesNotMatch(source, /process\.std(out|err)\b/, `${name} touches stdout/stderr`);
      }
    }
  });
});

describe("sandgate against a server that sends terminal escapes", { skip: skipCli }, () => {
  let emulator: Emulator;
  let upstream: ServedEmulator;
  let proxy: ServedEmulator;
  let env: Record<string, string>;
  const edited = new Set(["url", "name", "exposure_id", "command", "external_endpoint"]);
  before(async () => {
    emulator = createEmulator({ apiKeys: ["esc-key"] });
    upstream = await serve(emulator);
    proxy = await hostileProxy(
      upstream.url,
      (key, value) => edited.has(key) && typeof value === "string" ? `${value}${HOSTILE}` : value,
      (request) => {
        const path = new URL(request.url).pathname;
        if (path.endsWith("/expose/exp-json")) {
          return Response.json({ detail: `gone${HOSTILE}` }, { status: 404 });
        }
        if (path.endsWith("/expose/exp-text")) {
          return new Response(`upstream broke${HOSTILE}`, {
            status: 500,
            headers: { "content-type": "text/plain" },
          });
        }
        if (path.endsWith("/expose/exp-errors")) {
          return Response.json({ errors: [{ param: `port${HOSTILE}`, details: HOSTILE }] }, {
            status: 422,
          });
        }
        return undefined;
      },
    );
    env = {
      PRIME_API_KEY: "esc-key",
      PRIME_API_BASE_URL: proxy.url,
      TENSORLAKE_API_KEY: "esc-key",
    };
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  test("expose: the URL and the exposure id are shown escaped", async () => {
    const result = await cli(["expose", "esc-sb", "8000", "--name", "web"], env);
    assert.equal(result.code, 0, result.stderr);
    assertClean(result.stdout, "stdout");
    assertClean(result.stderr, "stderr");
    assert.equal(result.stdout, `https://8000-esc-sb.emulator.sandgate.invalid${SHOWN}\n`);
    assert.ok(result.stderr.includes(`${SHOWN}; remove it with`), result.stderr);
  });

  test("ports: table cells escaped; --json strict and faithful", async () => {
    const table = await cli(["ports", "esc-sb"], env);
    assert.equal(table.code, 0, table.stderr);
    assertClean(table.stdout, "table");
    assert.ok(table.stdout.includes(`web${SHOWN}`), table.stdout);
    const json = await cli(["ports", "--all", "--json"], env);
    assert.equal(json.code, 0, json.stderr);
    assertClean(json.stdout, "json");
    const rows = JSON.parse(json.stdout) as { name: string; url: string }[];
    assert.ok(rows.some((r) => r.name === `web${HOSTILE}`), "the JSON reads back as sent");
  });

  test("error details, validation errors and text bodies are escaped on the error path", async () => {
    for (const id of ["exp-json", "exp-text", "exp-errors"]) {
      const result = await cli(["unexpose", "esc-sb", id], env);
      assert.notEqual(result.code, 0);
      assertClean(result.stderr, id);
      assert.match(result.stderr, /^error: \w+Error: /m, result.stderr);
      assert.ok(result.stderr.includes("\\x1b]52;c;aGFja2Vk\\x07"), `${id}: ${result.stderr}`);
    }
  });

  test("pty ls: the command column escaped", async () => {
    const created = await fetch(`${upstream.url}/api/v1/pty`, {
      method: "POST",
      headers: { authorization: "Bearer esc-key", "content-type": "application/json" },
      body: JSON.stringify({ command: "bash", args: [], rows: 24, cols: 80 }),
    });
    assert.equal(created.status, 201);
    await created.body?.cancel();
    const listed = await cli(["pty", "ls", proxy.url], env);
    assert.equal(listed.code, 0, listed.stderr);
    assertClean(listed.stdout, "pty ls");
    assert.ok(listed.stdout.includes(`bash${SHOWN}`), listed.stdout);
  });

  test("ssh: the session line never prints the server's endpoint raw", async () => {
    const bin = fakeSshBin();
    try {
      const result = await cli(["ssh", "esc-sb"], { ...env, PATH: bin.path });
      assertClean(result.stderr, "ssh stderr");
      assert.equal(emulator.live().sshSessions, 0, "the session is closed");
    } finally {
      bin.remove();
    }
  });

  test("an unknown command and a bad argument are escaped too", async () => {
    const unknown = await cli([`x${HOSTILE}`]);
    assert.equal(unknown.code, 2);
    assertClean(unknown.stderr, "unknown command");
    const bad = await cli(["expose", "sb", `8${HOSTILE}`], env);
    assert.equal(bad.code, 2);
    assertClean(bad.stderr, "bad port");
  });
});

test("the PTY stream itself passes through untouched", {
  skip: skipCli || skipPty,
}, async () => {
  await using server = await serve(createEmulator({ apiKeys: ["raw-key"] }));
  const running = start(["pty", server.url], { TENSORLAKE_API_KEY: "raw-key" });
  running.write("echo \x1b[1mbold\x1b[22m\nexit 0\n");
  running.end();
  const result = await running.done;
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes("\x1b[1mbold\x1b[22m\r\n"), JSON.stringify(result.stdout));
});
