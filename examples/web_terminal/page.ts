/**
 * The web page of the web-terminal example: asks the page's server for a PTY (`POST /pty`
 * answers `{ sessionId, token }`; the API key stays on the server), attaches to it with the
 * token in the WebSocket URL and shows it in xterm.js. Bundled for the browser by `server.ts`.
 *
 * @module
 */
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { Tensorlake } from "sandgate";
import { connectTerminal } from "sandgate/xterm";

/** What the server writes into the page: where the sandbox proxy is, which sandbox. */
declare const SANDGATE_CONFIG: { proxyUrl: string; sandbox: string };

const terminal = new Terminal({ convertEol: false, cursorBlink: true });
const fit = new FitAddon();
terminal.loadAddon(fit);
terminal.open(document.getElementById("terminal")!);
fit.fit();
globalThis.addEventListener("resize", () => fit.fit());

const status = document.getElementById("status")!;
const { sessionId, token } = await (await fetch("/pty", { method: "POST" })).json();
const connection = await new Tensorlake({
  proxyUrl: SANDGATE_CONFIG.proxyUrl,
  // A dropped connection re-attaches by itself; the status line says so.
  onEvent: (event) => {
    if (event.type === "reconnecting") status.textContent = "reconnecting…";
    if (event.type === "reconnected") status.textContent = "attached";
  },
})
  .sandbox(SANDGATE_CONFIG.sandbox)
  .attachPty(sessionId, token, { reconnect: true });
status.textContent = "attached";
terminal.focus();
const binding = connectTerminal(terminal, connection, {
  onExit: (exit) => {
    status.textContent = exit.kind === "exited" ? `exited ${exit.exitCode}` : exit.kind;
  },
});
// For tests and the curious: the terminal, the session and the binding.
Object.assign(globalThis, { terminal, sessionId, binding });
