/**
 * `deno doc --lint` over every entry point in deno.json, failing on any
 * problem in our own sources. Problems located in generated code
 * (`src/generated/`, whose doc comments openapi-typescript writes from the
 * specs) or in npm packages' declarations (openapi-fetch's `Client`, which our
 * client types re-export) are counted and reported, not failed on: they are
 * not ours to document.
 *
 * @module
 */

const root = new URL("../", import.meta.url);
const IGNORED = ["/node_modules/", "/src/generated/"];

async function main(): Promise<number> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
    exports: Record<string, string>;
  };
  const entries = Object.values(config.exports);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", ...entries],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  // Each problem is an `error[rule]: message` line followed by a `--> file:line:col` line.
  const problems: { rule: string; location: string }[] = [];
  let rule = "";
  for (const line of text.split("\n")) {
    const head = /^error\[([\w-]+)\]: (.*)$/.exec(line.trim());
    if (head) rule = `${head[1]}: ${head[2]}`;
    const at = /^-->\s+(\S+)$/.exec(line.trim());
    if (at && rule) {
      problems.push({ rule, location: at[1]! });
      rule = "";
    }
  }
  const ours = problems.filter((p) => !IGNORED.some((dir) => p.location.includes(dir)));
  const ignored = problems.length - ours.length;
  for (const p of ours) console.error(`${p.location}\n  ${p.rule}`);
  console.log(
    `deno doc --lint ${entries.join(" ")}: ${ours.length} problems in our sources` +
      (ignored ? ` (${ignored} in generated code and npm declarations, not ours to document)` : ""),
  );
  if (!output.success && problems.length === 0) {
    console.error(text);
    return 1;
  }
  return ours.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
