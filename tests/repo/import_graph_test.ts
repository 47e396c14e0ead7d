// Repo-only: the module graph of every entry point, as `deno info --json` reports it, type-only
// imports included. Two rules (issue 23): no import cycle, and core knows no provider: no module
// of the core imports from a provider's folder (or from the CLI, the emulator or the Redis store,
// which are built on the core, not under it). And what `import "sandgate"` loads at once (static
// imports of code) leaves out what the methods load on first use with `import()` (the bundle
// budgets, BENCHMARKS.md section 2).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every entry point of deno.json's `exports` (the library, types, Redis store, emulator, CLI). */
const ENTRIES = Object.values(
  (JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { exports: Record<string, string> })
    .exports,
);

/**
 * What is not core: each provider's folder, and the layers built on the core. Everything else
 * under src/ (the root modules, middleware/, http/, util/, errors/, rate_limit/ but its redis/,
 * generated/, …) is core and may import only core.
 */
const NOT_CORE = [
  "src/primeintellect/",
  "src/tensorlake/",
  "src/cli/",
  "src/testing/",
  "src/rate_limit/redis/",
  // A terminal in a web page: xterm.js bound to Tensorlake's PTY connection.
  "src/xterm/",
];

interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier: string };
    type?: { specifier: string };
    isDynamic?: boolean;
  }[];
}

/** `deno info --json` of one entry point. */
async function info(entry: string): Promise<{ modules: InfoModule[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Repo-relative module → the modules it imports (code and type-only alike). */
async function graph(): Promise<Map<string, Set<string>>> {
  const root = pathToFileURL(ROOT).href;
  const local = (specifier: string) =>
    specifier.startsWith(root) ? specifier.slice(root.length) : undefined;
  const edges = new Map<string, Set<string>>();
  for (const document of await Promise.all(ENTRIES.map(info))) {
    for (const module of document.modules) {
      const from = local(module.specifier);
      if (from === undefined) continue;
      const to = edges.get(from) ?? new Set<string>();
      edges.set(from, to);
      for (const dep of module.dependencies ?? []) {
        for (const target of [dep.code?.specifier, dep.type?.specifier]) {
          const path = target === undefined ? undefined : local(target);
          if (path !== undefined && path !== from && !path.startsWith("node_modules/")) {
            to.add(path);
          }
        }
      }
    }
  }
  return edges;
}

/** The strongly connected components with more than one module (Tarjan), each sorted. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of edges.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(node, Math.min(low.get(node)!, index.get(target)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

const isCore = (path: string) =>
  path.startsWith("src/") && !NOT_CORE.some((p) => path.startsWith(p));

const edges = await graph();

test("the graph covers the library: both providers, the core, the CLI, the emulator", () => {
  for (
    const known of [
      "mod.ts",
      "src/primeintellect/prime_intellect.ts",
      "src/tensorlake/tensorlake.ts",
      "src/middleware/auth.ts",
      "src/cli/main.ts",
      "src/testing/emulator.ts",
      "src/rate_limit/redis/store.ts",
    ]
  ) assert.ok(edges.has(known), `${known} is in the graph`);
  assert.ok(edges.size > 60, `${edges.size} modules`);
});

test("no import cycle, type-only imports included", () => {
  assert.deepEqual(cycles(edges), []);
});

test("the cycle finder finds a cycle", () => {
  const sample = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])]]);
  assert.deepEqual(cycles(sample), [["a", "b", "c"]]);
  assert.deepEqual(cycles(new Map([["a", new Set(["b"])], ["b", new Set<string>()]])), []);
});

test("core knows no provider: no core module imports a provider, the CLI, the emulator or Redis", () => {
  const wrong: string[] = [];
  for (const [from, targets] of edges) {
    if (!isCore(from)) continue;
    for (const to of targets) if (!isCore(to)) wrong.push(`${from} → ${to}`);
  }
  assert.ok(isCore("src/middleware/auth.ts") && isCore("src/errors.ts"), "core is what it says");
  assert.ok(!isCore("src/tensorlake/client.ts") && !isCore("mod.ts"), "providers are not core");
  assert.deepEqual(wrong.sort(), []);
});

/** Loaded on first use only: a static import of one of these puts it back into every bundle. */
const LAZY = [
  // The request path: each client's middleware stack is built on its first request.
  "src/stack.ts",
  "src/middleware/auth.ts",
  "src/middleware/retry.ts",
  "src/middleware/timeout.ts",
  "src/middleware/network.ts",
  "src/middleware/redirect.ts",
  "src/rate_limit/middleware.ts",
  "src/http/default_fetch.ts",
  "src/http/body.ts",
  "src/request.ts",
  "src/handle.ts",
  // What a sandbox's methods run: loaded on the first call (lazy_sandbox.ts).
  "src/primeintellect/sandbox_handle.ts",
  "src/primeintellect/ssh.ts",
  "src/primeintellect/ssh_authorize.ts",
  "src/primeintellect/exposure.ts",
  "src/tensorlake/sandbox_handle.ts",
  "src/tensorlake/pty.ts",
  "src/primeintellect/_lazy.ts",
  "src/primeintellect/forward.ts",
  "src/primeintellect/exposure_ready.ts",
  "src/primeintellect/ssh_ready.ts",
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

test("forwarding, readiness and the PTY/WebSocket code load on first use, not at import", async () => {
  const root = pathToFileURL(ROOT).href;
  const byUrl = new Map((await info("mod.ts")).modules.map((m) => [m.specifier, m]));
  /** Repo-relative modules reached from mod.ts by code imports (`dynamic`: `import()` too). */
  const reached = (dynamic: boolean) => {
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
  };
  const atImport = reached(false);
  const all = reached(true);
  assert.ok(atImport.has("src/primeintellect/prime_intellect.ts"), "the graph is read");
  for (const path of LAZY) assert.ok(all.has(path), `${path} is still part of the library`);
  assert.deepEqual(LAZY.filter((path) => atImport.has(path)), [], "statically imported");
});
