// .oxlintrc.json lists the runtime-specific modules of src/ (docs/development.md, "oxlint keeps src/ on Web
// APIs"): every module that calls a runtime's own API through globalThis (Deno.createHttpClient,
// Deno.readTextFileSync, process.getBuiltinModule) is listed, and every listed path exists, so a
// moved module cannot silently leave the list stale.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIME_CALL = /\.(createHttpClient|readTextFileSync|getBuiltinModule)\??\.?\(/;

function listed(): string[] {
  const config = JSON.parse(readFileSync(join(ROOT, ".oxlintrc.json"), "utf8")) as {
    overrides: { files: string[]; rules: Record<string, string> }[];
  };
  return config.overrides
    .filter((o) => o.rules["no-restricted-globals"] === "off")
    .flatMap((o) => o.files);
}

function covered(file: string, patterns: string[]): boolean {
  return patterns.some((p) => p.endsWith("/**") ? file.startsWith(p.slice(0, -2)) : file === p);
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

test("every src module that calls a runtime's API is listed as runtime-specific", () => {
  const patterns = listed();
  const calling = sources("src").filter((f) =>
    RUNTIME_CALL.test(readFileSync(join(ROOT, f), "utf8"))
  );
  assert.ok(calling.includes("src/primeintellect/config_file.ts"), "the scan finds known modules");
  assert.deepEqual(calling.filter((f) => !covered(f, patterns)), []);
});

test("every runtime-specific path in .oxlintrc.json exists", () => {
  for (const pattern of listed()) {
    const path = pattern.endsWith("/**") ? pattern.slice(0, -3) : pattern;
    assert.ok(existsSync(join(ROOT, path)), `${pattern} is listed but does not exist`);
  }
});
