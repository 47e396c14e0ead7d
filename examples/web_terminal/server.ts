/**
 * A terminal in a web page, against the built-in emulator: serves the emulator on one loopback
 * port and, on another, a page with xterm.js plus the small server handler that creates a PTY
 * and hands the page only `{ sessionId, token }` (`createPtyHandler`). Open the printed URL
 * and type.
 *
 * ```sh
 * npm run web-terminal        # or: deno task web-terminal
 * ```
 *
 * `startWebTerminal()` is what the browser test (tests/browser/) starts.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import * as esbuild from "esbuild";
import { createPtyHandler, Tensorlake } from "sandgate";
import { createEmulator, serve, type ServedEmulator } from "sandgate/testing";

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);
const HERE = `${ROOT}examples/web_terminal/`;
/** The emulator routes a loopback proxy URL without a sandbox header to this sandbox. */
const SANDBOX = "default";

/** A running web terminal: the page's URL and the emulator behind it. */
export interface WebTerminal extends AsyncDisposable {
  /** The page, e.g. `http://127.0.0.1:49152/`. */
  url: string;
  /** The emulator the page's PTYs run on. */
  emulatorUrl: string;
  /** The sandbox name the PTYs are created in. */
  sandbox: string;
  /**
   * Where the page attaches (default: the emulator itself). The browser test puts a TCP proxy
   * of its own in between, to cut the connection under the page.
   */
  pageProxyUrl: string;
  /** Stops both servers (PTYs of the emulator end with it). */
  close(): Promise<void>;
}

/** Bundles the page (sandgate, its xterm adapter and xterm.js) for the browser. */
async function bundlePage(): Promise<string> {
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [`${HERE}page.ts`],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "warning",
      alias: { "sandgate/xterm": "./src/xterm/mod.ts", sandgate: "./mod.ts" },
    });
    return result.outputFiles[0]!.text;
  } finally {
    await esbuild.stop();
  }
}

/** Starts the emulator and the page's server on 127.0.0.1 (free ports unless `port` is given). */
export async function startWebTerminal(options: { port?: number } = {}): Promise<WebTerminal> {
  const app = await bundlePage();
  const css = readFileSync(`${ROOT}node_modules/@xterm/xterm/css/xterm.css`, "utf8");
  const emulator = await serve(createEmulator());
  const web: WebTerminal = {
    url: "",
    emulatorUrl: emulator.url,
    sandbox: SANDBOX,
    pageProxyUrl: emulator.url,
    close: () => emulator.close(),
    [Symbol.asyncDispose]: () => emulator.close(),
  };
  // Server side: the only place with an API key (any key works on the emulator).
  const tensorlake = new Tensorlake({ apiKey: "server-side-key", proxyUrl: emulator.url });
  const createPty = createPtyHandler({
    sandbox: tensorlake.sandbox(SANDBOX),
    pty: { command: "bash", cols: 80, rows: 24 },
  });
  const template = readFileSync(`${HERE}index.html`, "utf8");
  const html = () =>
    template.replace(
      "__SANDGATE_CONFIG__",
      JSON.stringify({ proxyUrl: web.pageProxyUrl, sandbox: SANDBOX }),
    );
  const type = (t: string) => ({ "content-type": t, "cache-control": "no-store" });
  let page: ServedEmulator;
  try {
    page = await serve({
      fetch(request) {
        const { pathname } = new URL(request.url);
        if (pathname === "/pty") return createPty(request);
        if (pathname === "/") {
          return Promise.resolve(new Response(html(), { headers: type("text/html") }));
        }
        if (pathname === "/app.js") {
          return Promise.resolve(new Response(app, { headers: type("text/javascript") }));
        }
        if (pathname === "/xterm.css") {
          return Promise.resolve(new Response(css, { headers: type("text/css") }));
        }
        return Promise.resolve(new Response("not found", { status: 404 }));
      },
    }, { port: options.port ?? 0 });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const close = async () => {
    await page.close();
    await emulator.close();
  };
  web.url = `${page.url}/`;
  web.close = close;
  web[Symbol.asyncDispose] = close;
  return web;
}

if (import.meta.main) {
  const web = await startWebTerminal({ port: Number(process.env.PORT ?? 0) });
  console.log(`web terminal on ${web.url} (emulator at ${web.emulatorUrl}); Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, resolve);
  });
  await web.close();
}
