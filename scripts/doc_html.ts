/**
 * The API reference, generated from the doc comments: `deno doc --html` over every entry point
 * in deno.json's `exports`, written to `api-docs/` (git-ignored; open `api-docs/index.html`).
 * Fails when `deno doc` reports an error or writes no index page, so `npm test` catches a doc
 * comment that breaks the reference.
 *
 * ```sh
 * npx deno task doc:html                  # api-docs/
 * npx deno task doc:html --output=/tmp/x  # elsewhere
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

const ROOT = new URL("../", import.meta.url);
const { output = "api-docs" } = parseArgs({
  args: Deno.args,
  options: { output: { type: "string" } },
}).values;
const entries = Object.values(
  JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).exports,
) as string[];
const out = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--html", "--name=sandgate", `--output=${output}`, ...entries],
  cwd: ROOT,
  env: { NO_COLOR: "1" },
}).output();
const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
const index = new URL(`${output.replace(/\/?$/, "/")}index.html`, ROOT);
let written = false;
try {
  written = Deno.statSync(index).isFile;
} catch {
  // No index page: reported below.
}
if (!out.success || !written || /^error/m.test(text)) {
  console.error(text);
  console.error(`deno doc --html ${entries.join(" ")}: failed${written ? "" : " (no index.html)"}`);
  Deno.exit(1);
}
console.log(`deno doc --html ${entries.join(" ")}: API reference in ${output}/index.html`);
