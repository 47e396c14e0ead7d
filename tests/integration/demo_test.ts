// `npm start` (scripts/demo.ts) works with no environment: it runs the whole
// tour against the emulator, closes everything and exits 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function runDemo(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      `${root}node_modules/.bin/deno`,
      ["run", "--allow-net", "--allow-env", "--allow-read", "scripts/demo.ts"],
      { cwd: root, env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

test("the demo runs the whole tour on the emulator with no environment", async () => {
  const { code, output } = await runDemo({});
  assert.equal(code, 0, output);
  for (
    const expected of [
      "(emulator), sandbox demo-sandbox",
      "expose port 8000 ",
      "https://8000-demo-sandbox.emulator.sandgate.invalid",
      "list exposures ",
      "open an SSH session ",
      "$ ssh ssh-",
      "create a PTY running `bash -l` ",
      "resize it ",
      "120x40",
      "kill it ",
      "unexpose port 8000 ",
      "0 exposures, 0 SSH sessions, 0 PTYs left open",
      "0 over the rate limit",
      "demo finished",
    ]
  ) {
    assert.ok(output.includes(expected), `missing ${JSON.stringify(expected)} in\n${output}`);
  }
  assert.doesNotMatch(output, /token|Bearer/i);
});

test("the demo prints the typed error, cleans up and exits 1 when a step fails", async () => {
  // Tensorlake "real" at a closed loopback port: the Prime part has opened things by then.
  const { code, output } = await runDemo({
    TENSORLAKE_API_KEY: "tl_apiKey_SECRET_demo_test",
    SANDGATE_TENSORLAKE_SANDBOX: "http://127.0.0.1:9",
  });
  assert.equal(code, 1, output);
  assert.match(output, /Tensorlake \(real API\)/);
  assert.match(output, /✗ NetworkError: createPty: network error/);
  assert.match(output, /0 exposures, 0 SSH sessions, 0 PTYs left open/);
  assert.ok(!output.includes("SECRET"), "the API key is never printed");
});
