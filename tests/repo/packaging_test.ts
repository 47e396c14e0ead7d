// Repo-only: the npm build's package.json and renames, the src/ lint rules, the test runner's count parser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import {
  brokenLinks,
  DOCS,
  packageJson,
  parseNpmSpecifier,
  relativeLinks,
  toNpmSpecifiers,
} from "../../scripts/build_npm.ts";
import { batches, parseCounts, STEPS, TOGETHER } from "../../scripts/test.ts";

test("oxlint forbids Node imports and runtime globals in src/, not property reads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sandgate-oxlint-" });
  try {
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      [
        `import { readFile } from "node:fs/promises";`,
        `import os from "os";`,
        `const http = await import("node:http");`,
        `import createClient from "openapi-fetch";`,
        `console.log(process.env.HOME, Deno.env.get("X"), readFile, os, http, createClient);`,
        `const g = globalThis as any; console.log(g.Deno?.env, g.process, { process: 1 });`,
      ].join("\n"),
    );
    const out = await new Deno.Command("./node_modules/.bin/oxlint", {
      args: ["-c", ".oxlintrc.json", "--format=json", probe],
      stdout: "piped",
    }).output();
    const { diagnostics } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      diagnostics: { code: string; message: string }[];
    };
    const found = diagnostics.map((d) =>
      `${d.code.replace(/^eslint\((.*)\)$/, "$1")}: ${d.message}`
    )
      .map((m) => m.replace(/ import is restricted.*| runtime-specific.*/, "")).sort();
    assert.deepEqual(found, [
      "no-restricted-globals: Unexpected use of 'Deno'.",
      "no-restricted-globals: Unexpected use of 'process'.",
      "no-restricted-imports: 'node:fs/promises'",
      "no-restricted-imports: 'node:http'",
      "no-restricted-imports: 'os'",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("the npm README and declarations say sandgate where code quotes the JSR name", () => {
  const text = [
    `import { PrimeIntellect } from "@sandgate/sdk";`,
    `const { createEmulator } = await import('@sandgate/sdk/testing');`,
    "JSR `@sandgate/sdk` stays in prose, as does jsr:@sandgate/sdk",
  ].join("\n");
  assert.equal(
    toNpmSpecifiers(text),
    [
      `import { PrimeIntellect } from "sandgate";`,
      `const { createEmulator } = await import('sandgate/testing');`,
      "JSR `@sandgate/sdk` stays in prose, as does jsr:@sandgate/sdk",
    ].join("\n"),
  );
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
      version: "1.2.3",
      exports: {
        ".": "./mod.ts",
        "./testing": "./src/testing/mod.ts",
        "./cli": "./src/cli/main.ts",
      },
    },
    { "openapi-fetch": "^0.17.0" },
    "./bin/sandgate.js",
  );
  assert.equal(pkg.name, "sandgate");
  assert.equal(pkg.version, "1.2.3");
  assert.deepEqual(pkg.exports["./testing"], {
    import: { types: "./dist/src/testing/mod.d.ts", default: "./dist/src/testing/mod.js" },
    require: { types: "./cjs/src/testing/mod.d.ts", default: "./cjs/src/testing/mod.js" },
  });
  assert.equal(pkg.main, "./cjs/mod.js");
  assert.equal(pkg.sideEffects, false);
  assert.deepEqual(pkg.dependencies, { "openapi-fetch": "^0.17.0" });
  assert.equal(pkg.module, "./dist/mod.js");
  assert.equal(pkg.exports["./cli"], undefined, "the CLI is the bin on npm, not a subpath");
  assert.deepEqual(pkg.bin, { sandgate: "./bin/sandgate.js" });
  assert.deepEqual(pkg.files, ["dist/", "cjs/", "bin/", "testing/", ...DOCS]);
});

test("brokenLinks names packed links to files the package does not hold", () => {
  const readme = [
    "See [the CLI](docs/cli.md#exit-codes), [`examples/`](examples/), [notes](NOTES.md),",
    "[home](https://example.org/x.md), [up](#usage) and `[not](a-link.md)`.",
    "```md",
    "[in a fence](fenced.md)",
    "```",
  ].join("\n");
  assert.deepEqual(relativeLinks(readme), ["docs/cli.md#exit-codes", "examples/", "NOTES.md"]);
  const packed = ["README.md", "docs/cli.md", "examples/pty.ts"];
  assert.deepEqual(
    brokenLinks({ "README.md": readme, "docs/cli.md": "[back](../README.md)" }, packed),
    [
      "README.md → NOTES.md",
    ],
  );
  assert.deepEqual(brokenLinks({ "README.md": readme }, ["README.md", "docs/cli.md"]), [
    "README.md → examples/",
    "README.md → NOTES.md",
  ]);
});

test("every relative link of the README and the shipped guides leads to a file npm packs", () => {
  // The tarball as package.json's `files` makes it (check:package checks the real `npm pack`).
  const walk = (path: string): string[] =>
    statSync(path).isDirectory()
      ? readdirSync(path).flatMap((name) => walk(`${path.replace(/\/$/, "")}/${name}`))
      : [path];
  const packed = ["README.md", "LICENSE", "package.json", "dist/mod.js", ...DOCS.flatMap(walk)];
  const markdown = Object.fromEntries(
    packed.filter((f) => f.endsWith(".md")).map((f) => [f, readFileSync(f, "utf8")]),
  );
  assert.ok(Object.keys(markdown).includes("docs/cli.md"));
  assert.deepEqual(brokenLinks(markdown, packed), []);
});

test("parseCounts reads the last summary of node (TAP and spec) and bun", () => {
  const tap = "# Subtest: a\n# pass 9\nok 1 - a\n# tests 3\n# pass 2\n# fail 1\n";
  assert.deepEqual(parseCounts("node", tap), [2, 1]);
  assert.deepEqual(parseCounts("node", "ℹ tests 3\nℹ pass 3\nℹ fail 0\n"), [3, 0]);
  assert.deepEqual(parseCounts("bun", "(pass) x\n\n 316 pass\n 5 fail\nRan 321 tests\n"), [316, 5]);
  assert.deepEqual(parseCounts("deno", "ok | 5 passed | 1 failed (3s)"), [5, 1]);
  assert.equal(parseCounts("node", "no summary"), undefined);
});

test("npm test runs a TOGETHER group's consecutive steps as one batch, every other step alone", () => {
  const steps: [string, string][] = [
    ["a", "doc:examples"],
    ["b", "fmt:check"],
    ["c", "redis:ensure"],
    ["d", "publish:dry-run"],
    ["e", "build:npm"],
    ["f", "lint"],
  ];
  assert.deepEqual(batches(steps).map((b) => b.map(([name]) => name).join("")), [
    "ab",
    "c",
    "de",
    "f",
  ]);
  // Every grouped task is a step, and no test run of a runtime is in a group (timed tests).
  const tasks = STEPS.map(([, task]) => task);
  for (const task of TOGETHER.flat()) assert.ok(tasks.includes(task), task);
  assert.deepEqual(TOGETHER.flat().filter((t) => t.startsWith("test:")), []);
  // The quick bench reads npm/ when it is there; the npm build removes and rewrites it.
  assert.ok(
    !TOGETHER.some((group) => group.includes("bench:quick") && group.includes("build:npm")),
    "bench:quick runs beside build:npm",
  );
  assert.equal(batches(STEPS).flat().length, STEPS.length);
});
