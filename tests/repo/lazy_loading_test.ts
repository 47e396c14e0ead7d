// Repo-only: what `import "sandgate"` loads at once (`deno info --json mod.ts`, static imports of
// code only), against what the methods load on first use with `import()` (issue 23's bundle
// budgets, BENCHMARKS.md section 2): forwarding, the readiness loop and its probes, the PTY
// attach and the WebSocket channel. A static import of one of these from the classes' modules
// would put it back into every bundle.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Loaded on first use only. */
const LAZY = [
  "src/primeintellect/_lazy.ts",
  "src/primeintellect/forward.ts",
  "src/primeintellect/exposure_ready.ts",
  "src/tensorlake/_lazy.ts",
  "src/tensorlake/forward.ts",
  "src/tensorlake/tunnel.ts",
  "src/tensorlake/attach.ts",
  "src/tensorlake/pty_connection.ts",
  "src/tensorlake/pty_reconnect.ts",
  "src/forward/forward.ts",
  "src/forward/tcp.ts",
  "src/forward/tcp_node.ts",
  "src/readiness/wait.ts",
  "src/readiness/tcp_probe.ts",
  "src/readiness/http_probe.ts",
  "src/websocket/open.ts",
  "src/websocket/channel.ts",
];

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

const out = await new Deno.Command(Deno.execPath(), {
  args: ["info", "--json", "mod.ts"],
  cwd: ROOT,
  stdout: "piped",
  stderr: "piped",
}).output();
assert.ok(out.success, new TextDecoder().decode(out.stderr));
const modules: InfoModule[] = JSON.parse(new TextDecoder().decode(out.stdout)).modules;
const root = pathToFileURL(ROOT).href;
const byUrl = new Map(modules.map((m) => [m.specifier, m]));

/** Repo-relative modules reached from mod.ts by `dynamic` (all imports) or static ones only. */
function reached(dynamic: boolean): Set<string> {
  const seen = new Set<string>();
  const visit = (url: string) => {
    if (seen.has(url) || !url.startsWith(root)) return;
    seen.add(url);
    for (const dep of byUrl.get(url)?.dependencies ?? []) {
      if (dep.code && (dynamic || !dep.isDynamic)) visit(dep.code.specifier);
    }
  };
  visit(`${root}mod.ts`);
  return new Set([...seen].map((url) => url.slice(root.length)));
}

test("forwarding, readiness and the PTY/WebSocket code load on first use, not at import", () => {
  const atImport = reached(false);
  const all = reached(true);
  assert.ok(atImport.has("src/primeintellect/sandbox_handle.ts"), "the graph is read");
  for (const path of LAZY) assert.ok(all.has(path), `${path} is still part of the library`);
  assert.deepEqual(LAZY.filter((path) => atImport.has(path)), [], "statically imported");
});
