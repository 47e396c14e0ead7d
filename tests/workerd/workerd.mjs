// Runs the built npm package (`npm/`, from `deno task build:npm`) inside
// workerd: bundles tests/workerd/worker.js with esbuild, loads it in miniflare
// without the nodejs_compat flag and performs an expose → list → unexpose →
// list flow against the in-process emulator, with the low-level client and
// with the high-level API.
//
//   node --test tests/workerd/workerd.mjs
//
// Not named *_test: `deno test tests/` must not pick it up (it needs the build).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../../", import.meta.url));
const npmDir = join(root, "npm");
const pkg = JSON.parse(await readFile(join(npmDir, "package.json"), "utf8"));
const subpaths = Object.keys(pkg.exports).filter((k) => k !== "./package.json");

/** `.` → `sandgate`, `./testing` → `sandgate/testing`. */
const specifier = (subpath) => subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;

async function bundle() {
  // `sandgate` resolves to npm/ through a node_modules folder of its own.
  const modules = await mkdtemp(join(tmpdir(), "sandgate-workerd-"));
  try {
    await mkdir(join(modules, "node_modules"));
    await symlink(npmDir, join(modules, "node_modules", pkg.name), "dir");
    const entriesModule = subpaths
      .map((s, i) => `export * as e${i} from ${JSON.stringify(specifier(s))};`)
      .join("\n");
    const result = await build({
      entryPoints: [join(root, "tests/workerd/worker.js")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      conditions: ["workerd", "worker", "import"],
      mainFields: ["module", "main"],
      nodePaths: [join(modules, "node_modules")],
      logLevel: "silent",
      plugins: [{
        // Runtime-specific modules (src/testing/serve.ts) may import a Node
        // module lazily; a static Node import fails the bundle.
        name: "no-static-node-imports",
        setup(b) {
          b.onResolve(
            { filter: /^node:/ },
            (args) =>
              args.kind === "dynamic-import" ? { path: args.path, external: true } : {
                errors: [{ text: `static import of ${args.path} from ${args.importer}` }],
              },
          );
        },
      }, {
        name: "entries",
        setup(b) {
          b.onResolve({ filter: /^sandgate:entries$/ }, () => ({
            path: "entries",
            namespace: "entries",
          }));
          b.onLoad({ filter: /.*/, namespace: "entries" }, () => ({
            contents: entriesModule,
            resolveDir: root,
            loader: "js",
          }));
        },
      }],
    });
    return result.outputFiles[0].text;
  } finally {
    await rm(modules, { recursive: true, force: true });
  }
}

test("workerd: the bundled package runs an expose → unexpose flow without Node APIs", async () => {
  const script = await bundle();
  const mf = new Miniflare({
    // Given explicitly, so that workerd itself (not miniflare's module
    // locator) decides what the script may import.
    modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
    compatibilityDate: "2026-04-01",
    compatibilityFlags: [],
  });
  try {
    const response = await mf.dispatchFetch("http://worker.test/");
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const body = JSON.parse(text);
    assert.equal(body.runtime, "Cloudflare-Workers");
    assert.equal(body.hasProcess, false, "no nodejs_compat: no process global");
    assert.match(body.missingKey, /^MissingApiKeyError: .*pass `apiKey: env\.PRIME_API_KEY`/);
    assert.match(body.userAgent, /^sandgate\/\d+\.\d+\.\d+\S* workerd$/);

    // Every module of every entry point was evaluated at global scope in workerd.
    const expected = {};
    for (const [i, s] of subpaths.entries()) {
      const target = pkg.exports[s].import.default;
      const ns = await import(pathToFileURL(join(npmDir, target)).href);
      expected[`e${i}`] = Object.keys(ns).length;
    }
    assert.deepEqual(body.exportCounts, expected);

    assert.equal(body.exposed.status, 200);
    assert.equal(body.exposed.data.port, 8000);
    assert.equal(body.exposed.data.sandbox_id, "sb-workerd");
    assert.match(body.exposed.data.url, /^https?:\/\//);
    assert.deepEqual(body.listed, [body.exposed.data.exposure_id]);
    assert.equal(body.removed, 200);
    assert.equal(body.after, 0);
    assert.deepEqual(body.highLevel, {
      url: "https://3000-sb-workerd.emulator.sandgate.invalid",
      listed: true,
      alreadyGone: false,
      gone: "NotFoundError",
      live: 0,
    });
  } finally {
    await mf.dispose();
  }
});

test("workerd: a Worker attaches to an emulated PTY, in-process and over real HTTP", async () => {
  const script = await bundle();
  const { createEmulator, serve } = await import(
    pathToFileURL(join(npmDir, "esm/src/testing/mod.js")).href
  );
  const emulator = createEmulator();
  const server = await serve(emulator);
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
    compatibilityDate: "2026-04-01",
    compatibilityFlags: [],
  });
  const expected = {
    hi: true,
    size: true,
    exit: { kind: "exited", exitCode: 3 },
    secondSees: true,
    killed: ["killed", "killed"],
    wrong: "ForbiddenError 403 INVALID_TOKEN",
  };
  try {
    const inProcess = await mf.dispatchFetch("http://worker.test/attach");
    const text = await inProcess.text();
    assert.equal(inProcess.status, 200, text);
    assert.deepEqual(JSON.parse(text), { ...expected, live: 0 });

    const served = await mf.dispatchFetch(
      `http://worker.test/attach-http?server=${encodeURIComponent(server.url)}`,
    );
    const servedText = await served.text();
    assert.equal(served.status, 200, servedText);
    assert.deepEqual(JSON.parse(servedText), expected);
    assert.equal(emulator.live().ptys, 0);
  } finally {
    await mf.dispose();
    await server.close();
  }
});

test("workerd: an attached PTY whose TCP connection is cut re-attaches (reconnect)", async () => {
  const script = await bundle();
  const { createEmulator, serve } = await import(
    pathToFileURL(join(npmDir, "esm/src/testing/mod.js")).href
  );
  const { startTcpProxy } = await import(
    pathToFileURL(join(npmDir, "esm/tests/helpers/tcp_proxy.js")).href
  );
  const emulator = createEmulator();
  const server = await serve(emulator);
  const proxy = await startTcpProxy(server.port);
  // The worker asks for the cut when it has seen output, and for the way back in.
  const control = await serve({
    fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname === "/cut") {
        proxy.down();
        proxy.cut();
      } else if (pathname === "/up") proxy.up();
      return Promise.resolve(new Response("ok"));
    },
  });
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
    compatibilityDate: "2026-04-01",
    compatibilityFlags: [],
  });
  try {
    const response = await mf.dispatchFetch(
      `http://worker.test/reconnect?server=${encodeURIComponent(proxy.url)}&control=${
        encodeURIComponent(control.url)
      }`,
    );
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), {
      before: 1,
      during: 1,
      exit: { kind: "exited", exitCode: 4 },
      reconnected: 1,
    });
  } finally {
    await mf.dispose();
    await control.close();
    await proxy.close();
    await server.close();
  }
});

test("workerd: connect() reaches a sandbox's service on both providers; forward() cannot run", async () => {
  const script = await bundle();
  const { createEmulator, serve } = await import(
    pathToFileURL(join(npmDir, "esm/src/testing/mod.js")).href
  );
  const emulator = createEmulator({
    services: { 7000: (c) => c.readable.pipeTo(c.writable).catch(() => {}) },
  });
  const server = await serve(emulator);
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.mjs", contents: script }],
    compatibilityDate: "2026-04-01",
    compatibilityFlags: [],
  });
  try {
    const response = await mf.dispatchFetch(
      `http://worker.test/connect?server=${encodeURIComponent(server.url)}`,
    );
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), {
      tensorlakeInIsolate: "tunnel in isolate",
      tensorlake: "tunnel over http",
      refused: "ServerError 502",
      prime: "prime over a socket",
      primeLeft: 0,
      forward: "UnsupportedRuntimeError",
    });
    assert.equal(emulator.live().exposures, 0);
  } finally {
    await mf.dispose();
    await server.close();
  }
});
