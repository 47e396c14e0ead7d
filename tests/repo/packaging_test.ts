// Repo-only: the npm build's output scan and the test runner's count parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { packageJson, parseNpmSpecifier, scanModule } from "../../scripts/build_npm.ts";
import { parseCounts } from "../../scripts/test.ts";

test("scanModule flags Node imports and runtime globals, not property reads", () => {
  const code = [
    `import { readFile } from "node:fs/promises";`,
    `const os = require("os");`,
    `const http = await import("node:http");`,
    `export * from "./local.js";`,
    `import createClient from "openapi-fetch";`,
    `import { x } from "@scope/pkg/sub";`,
    `console.log(process.env.HOME, Deno.env.get("X"));`,
    `const g = globalThis; console.log(g.Deno?.env, g.process, { process: 1 });`,
  ].join("\n");
  const { findings, bare } = scanModule("esm/x.js", code, false);
  assert.deepEqual(findings.map((f) => f.message), [
    `imports the Node module "node:fs/promises"`,
    `imports the Node module "os"`,
    `imports the Node module "node:http"`,
    "line 7: uses the global `process`",
    "line 7: uses the global `Deno`",
  ]);
  assert.deepEqual([...bare].sort(), ["@scope/pkg", "openapi-fetch"]);
  assert.deepEqual(scanModule("esm/serve.js", code, true).findings, []);
});

test("scanModule flags computed imports outside runtime modules", () => {
  const { findings } = scanModule("esm/x.js", `const m = "node:fs"; await import(m);`, false);
  assert.deepEqual(findings.map((f) => f.message), ["has a computed import/require"]);
});

test("npm: import-map targets give the dependency name and range", () => {
  assert.deepEqual(parseNpmSpecifier("npm:openapi-fetch@^0.17.0"), {
    name: "openapi-fetch",
    range: "^0.17.0",
  });
  assert.deepEqual(parseNpmSpecifier("npm:@types/node@20"), { name: "@types/node", range: "20" });
  assert.deepEqual(parseNpmSpecifier("npm:yaml"), { name: "yaml", range: "*" });
  assert.equal(parseNpmSpecifier("jsr:@std/assert@1"), undefined);
});

test("package.json has import/require conditions with types for every entry", () => {
  const pkg = packageJson(
    {
      name: "@sandgate/sdk",
      version: "1.2.3",
      exports: { ".": "./mod.ts", "./testing": "./src/testing/mod.ts" },
    },
    { "openapi-fetch": "^0.17.0" },
  );
  assert.equal(pkg.name, "sandgate");
  assert.equal(pkg.version, "1.2.3");
  assert.deepEqual(pkg.exports["./testing"], {
    import: { types: "./esm/src/testing/mod.d.ts", default: "./dist/src/testing/mod.js" },
    require: { types: "./cjs/src/testing/mod.d.ts", default: "./cjs/src/testing/mod.js" },
  });
  assert.equal(pkg.main, "./cjs/mod.js");
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(pkg.dependencies, { "openapi-fetch": "^0.17.0" });
  assert.equal(pkg.module, "./dist/mod.js");
  assert.ok(pkg.files.includes("!esm/tests/") && pkg.files.includes("testing/"));
  assert.ok(pkg.files.includes("dist/"));
});

test("parseCounts reads the last summary of node (TAP and spec) and bun", () => {
  const tap = "# Subtest: a\n# pass 9\nok 1 - a\n# tests 3\n# pass 2\n# fail 1\n";
  assert.deepEqual(parseCounts("node", tap), [2, 1]);
  assert.deepEqual(parseCounts("node", "ℹ tests 3\nℹ pass 3\nℹ fail 0\n"), [3, 0]);
  assert.deepEqual(parseCounts("bun", "(pass) x\n\n 316 pass\n 5 fail\nRan 321 tests\n"), [316, 5]);
  assert.deepEqual(parseCounts("deno", "ok | 5 passed | 1 failed (3s)"), [5, 1]);
  assert.equal(parseCounts("node", "no summary"), undefined);
});
