/**
 * `deno doc --lint` over every entry point in deno.json, failing on any problem in our own
 * sources. Problems located in generated code (`src/generated/`, whose doc comments
 * openapi-typescript writes from the specs) or in npm packages' declarations (openapi-fetch's
 * `Client`, which our client types re-export) are counted and reported, not failed on: they are
 * not ours to document.
 *
 * @module
 */
const ROOT = new URL("../", import.meta.url);
const entries = Object.values(
  JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).exports,
) as string[];
const out = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...entries],
  cwd: ROOT,
  env: { NO_COLOR: "1" },
}).output();
const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
// Each problem is an `error[rule]: message` line, then a `--> file:line:col` line.
const problems = [...text.matchAll(/^error\[([\w-]+)\]: (.*)\n\s*-->\s+(\S+)$/gm)];
const ours = problems.filter(([, , , at]) => !/\/(node_modules|src\/generated)\//.test(at!));
for (const [, rule, message, at] of ours) console.error(`${at}\n  ${rule}: ${message}`);
const ignored = problems.length - ours.length;
console.log(
  `deno doc --lint ${entries.join(" ")}: ${ours.length} problems in our sources` +
    (ignored ? ` (${ignored} in generated code and npm declarations, not ours to document)` : ""),
);
if (!out.success && problems.length === 0) console.error(text);
Deno.exit(ours.length === 0 && (out.success || problems.length > 0) ? 0 : 1);
