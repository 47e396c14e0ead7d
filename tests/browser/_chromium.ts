// Debian's Chromium for the browser test, and a minimal DevTools-protocol client to drive it
// (nothing downloads a browser build). As a script, `ensure` installs Chromium when missing
// (apt-get, as root, as on CI) — run by `npm test` before the suites:
//
//   deno run --allow-all tests/browser/_chromium.ts ensure
//
// A missing Chromium skips the browser test loudly; under CI=true it fails it instead.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ensureTool, findTool, type SystemTool, toolSkipReason } from "../helpers/system_tool.ts";

const CHROMIUM: SystemTool = {
  binary: "chromium",
  pkg: "chromium",
  tests: "the web terminal test in a real browser",
  requiredBy: "CI=true",
  required: () => process.env.CI === "true",
};

/** `false` when the browser test can run (or must, under CI=true); else why it is skipped. */
export const chromiumSkipReason = (): string | false => toolSkipReason(CHROMIUM);

/** One DevTools-protocol session on a page: `send` a method, wait for an answer. */
export interface Page {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
}

/** A headless Chromium with one page, closed (process killed, profile removed) on dispose. */
export interface Browser extends AsyncDisposable {
  page: Page;
}

/**
 * Starts headless Chromium on a fresh profile with DevTools on a loopback port, and attaches to
 * its first page. Every host name but 127.0.0.1 fails to resolve inside the browser, and its
 * background services are off, so it sends nothing anywhere else.
 */
export async function launchChromium(timeoutMs = 30_000): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "sandgate-chromium-"));
  const child = spawn(findTool(CHROMIUM) ?? "chromium", [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    `--user-data-dir=${profile}`,
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const cleanup = async () => {
    // The whole process group: Chromium's renderer and utility processes too.
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
    await exited;
    // A child may still be flushing into the profile for a moment after the group's kill.
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  };
  try {
    // Chromium prints `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…` on stderr.
    const port = await new Promise<number>((resolve, reject) => {
      let text = "";
      const timer = setTimeout(() => reject(new Error(`no DevTools port: ${text}`)), timeoutMs);
      child.stderr!.on("data", (chunk: Uint8Array) => {
        text = (text + new TextDecoder().decode(chunk)).slice(-4096);
        const match = /DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited with ${code}: ${text}`));
      });
    });
    child.stderr!.resume();
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const target = targets.find((t) => t.type === "page");
    if (!target) throw new Error("chromium has no page");
    const page = await connectPage(target.webSocketDebuggerUrl, timeoutMs);
    return {
      page: page.page,
      [Symbol.asyncDispose]: () => {
        page.close();
        return cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function connectPage(url: string, timeoutMs: number) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error("DevTools WebSocket failed"));
  });
  let next = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data));
    const call = waiting.get(message.id);
    if (!call) return;
    waiting.delete(message.id);
    if (message.error) call.reject(new Error(JSON.stringify(message.error)));
    else call.resolve(message.result);
  };
  const send = <T>(method: string, params: Record<string, unknown> = {}) => {
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  };
  const evaluate = async <T>(expression: string) => {
    const result = await send<{ result: { value: T }; exceptionDetails?: unknown }>(
      "Runtime.evaluate",
      { expression, awaitPromise: true, returnByValue: true },
    );
    if (result.exceptionDetails) throw new Error(JSON.stringify(result.exceptionDetails));
    return result.result.value;
  };
  return { page: { send, evaluate } as Page, close: () => socket.close() };
}

if ((import.meta as { main?: boolean }).main && process.argv.includes("ensure")) {
  process.exit(ensureTool(CHROMIUM));
}
