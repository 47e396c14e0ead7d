// The web terminal of examples/web_terminal/ in a real browser (Debian's headless Chromium,
// driven over the DevTools protocol): the page gets `{ sessionId, token }` from its server,
// attaches with the token in the URL, and a person's keystrokes, window resizes and exit go
// through xterm.js, `sandgate/xterm` and the served emulator. Runs under Deno only (it builds
// the page from the repository's files); excluded from the npm test build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Tensorlake } from "sandgate";
import { startWebTerminal } from "../../examples/web_terminal/server.ts";
import { startTcpProxy } from "../helpers/tcp_proxy.ts";
import { chromiumSkipReason, launchChromium, type Page } from "./_chromium.ts";

/** Waits in the page until `condition` (a JS expression) is truthy; bounded. */
function waitFor<T>(page: Page, condition: string, what: string, timeoutMs = 15_000) {
  return page.evaluate<T>(`new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      let value;
      try { value = (${condition}); } catch {}
      if (value) resolve(value);
      else if (Date.now() - t0 > ${timeoutMs}) reject(new Error(${JSON.stringify(what)}));
      else setTimeout(tick, 20);
    };
    tick();
  })`);
}

/** The terminal's lines, as xterm shows them. */
const LINES = `(() => {
  const b = terminal.buffer.active;
  return Array.from({ length: b.length }, (_, i) => b.getLine(i).translateToString(true));
})()`;

async function type(page: Page, text: string) {
  await page.send("Input.insertText", { text });
  const enter = { key: "Enter", code: "Enter", windowsVirtualKeyCode: 13 };
  await page.send("Input.dispatchKeyEvent", { type: "keyDown", ...enter, text: "\r" });
  await page.send("Input.dispatchKeyEvent", { type: "keyUp", ...enter });
}

test("web terminal in Chromium: type, read, resize, survive a dropped connection, exit", {
  skip: chromiumSkipReason(),
  timeout: 90_000,
}, async () => {
  await using web = await startWebTerminal();
  // The page attaches through a TCP proxy of the test's own, to cut the connection under it.
  await using proxy = await startTcpProxy(Number(new URL(web.emulatorUrl).port));
  web.pageProxyUrl = proxy.url;
  await using browser = await launchChromium();
  const { page } = browser;
  await page.send("Emulation.setDeviceMetricsOverride", {
    width: 800,
    height: 600,
    deviceScaleFactor: 1,
    mobile: false,
  });
  await page.send("Page.navigate", { url: web.url });
  await waitFor(page, `document.getElementById("status")?.textContent === "attached"`, "attach");
  const sessionId = await page.evaluate<string>("sessionId");

  // The page holds no API key: only the session's id and token came from its server.
  const html = await page.evaluate<string>("document.documentElement.outerHTML");
  assert.doesNotMatch(html, /server-side-key/);

  await type(page, "echo hi");
  await waitFor(page, `${LINES}.includes("hi")`, "echo hi reached the terminal");

  // A window resize: the fit addon resizes xterm, the binding resizes the PTY.
  await page.send("Emulation.setDeviceMetricsOverride", {
    width: 1200,
    height: 800,
    deviceScaleFactor: 1,
    mobile: false,
  });
  const size = await waitFor<{ cols: number; rows: number }>(
    page,
    `terminal.cols > 100 && { cols: terminal.cols, rows: terminal.rows }`,
    "the fit addon grew the terminal",
  );
  await type(page, "stty size");
  await waitFor(page, `${LINES}.includes("${size.rows} ${size.cols}")`, "the PTY has the new size");
  const sandbox = new Tensorlake({ apiKey: "test", proxyUrl: web.emulatorUrl }).sandbox(
    web.sandbox,
  );
  const info = await sandbox.getPty(sessionId);
  assert.deepEqual({ cols: info.cols, rows: info.rows }, size);

  // The connection drops (and new ones are refused for a while): the page says so, input typed
  // meanwhile waits, and once the network is back it arrives once and the output carries on.
  proxy.down();
  proxy.cut();
  await waitFor(page, `document.getElementById("status").textContent === "reconnecting…"`, "drop");
  await type(page, "echo typed while down");
  proxy.up();
  await waitFor(page, `document.getElementById("status").textContent === "attached"`, "re-attach");
  await waitFor(page, `${LINES}.includes("typed while down")`, "queued input arrived");
  const lines = await page.evaluate<string[]>(LINES);
  assert.equal(lines.filter((l) => l === "typed while down").length, 1, "sent once");

  await type(page, "exit 3");
  await waitFor(page, `document.getElementById("status").textContent === "exited 3"`, "exit 3");
  assert.ok(
    (await page.evaluate<string[]>(LINES)).includes("[process exited with code 3]"),
    "the exit is the terminal's last line",
  );
});
