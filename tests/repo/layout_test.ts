// Repo-only: the tests/ tree mirrors src/ (issue 23), so a newcomer finds the tests of any module
// from the tree alone, and one naming rule tells tests from their helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Folders of tests/ that cut across src/ instead of mirroring a part of it: shared helpers and
 * fixtures, checks of the repository itself, end-to-end and hostile suites, conformance with
 * upstream clients, and the runtimes (workerd, a browser) the built package is run in.
 */
const SUITES = [
  "helpers",
  "fixtures",
  "repo",
  "integration",
  "reliability",
  "conformance",
  "workerd",
  "browser",
];

/** Tests at the root of tests/ that check the OpenAPI snapshots (openapi/), not a module. */
const ROOT_SUITES = ["spec_test.ts", "upstream_behaviour_test.ts", "upstream_fixtures_test.ts"];

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (!statSync(join(ROOT, path)).isDirectory()) return [path];
    const inside = walk(path);
    // An empty folder is not in git (a fresh clone has none): only folders with files count.
    return inside.length > 0 ? [path + "/", ...inside] : [];
  });
}

const entries = walk("tests");
const isSuite = (path: string) => SUITES.some((s) => path.startsWith(`tests/${s}/`));

test("every folder of tests/ mirrors a folder or module of src/, or is a cross-cutting suite", () => {
  const wrong = entries.filter((p) => p.endsWith("/") && !isSuite(p)).filter((folder) => {
    const mirrored = `src/${folder.slice("tests/".length, -1)}`;
    return !existsSync(join(ROOT, mirrored)) && !existsSync(join(ROOT, `${mirrored}.ts`));
  });
  assert.deepEqual(wrong, []);
});

test("a test at the root of tests/ mirrors a root module (or checks the OpenAPI snapshots)", () => {
  const wrong = entries.filter((p) => /^tests\/[^/]+_test\.ts$/.test(p)).filter((file) => {
    const name = file.slice("tests/".length);
    const module = name.replace(/_test\.ts$/, ".ts");
    return !ROOT_SUITES.includes(name) && !existsSync(join(ROOT, "src", module)) &&
      !existsSync(join(ROOT, module));
  });
  assert.deepEqual(wrong, []);
});

test("a file of tests/ is a test (*_test.ts), a helper of its folder (_name.ts) or shared", () => {
  const wrong = entries.filter((p) => /\.(ts|mts|js|mjs)$/.test(p)).filter((file) => {
    const name = file.slice(file.lastIndexOf("/") + 1);
    const shared = /^tests\/(helpers|fixtures|workerd)\//.test(file);
    return !shared && !name.endsWith("_test.ts") && !name.startsWith("_");
  });
  assert.deepEqual(wrong, []);
});
