/**
 * Start a PTY in a Tensorlake sandbox, resize it, read its info, and kill
 * it; then kill leftover sessions from a listing. Runs against the emulator.
 *
 * ```sh
 * npx deno run --no-prompt examples/pty.ts
 * ```
 *
 * @module
 */
import { Tensorlake } from "sandgate";
import { createEmulator } from "sandgate/testing";

const emulator = createEmulator();
const tensorlake = new Tensorlake({ apiKey: "demo-key", fetch: emulator.fetch });
const sandbox = tensorlake.sandbox("my-sandbox");

{
  await using pty = await sandbox.createPty({ command: "bash", rows: 40, cols: 120 });
  await pty.resize({ rows: 50, cols: 160 });
  const info = await pty.info();
  console.log("pty:", info.sessionId, `${info.cols}x${info.rows}`);
} // killed here

// A session started elsewhere (no handle): list and kill it directly.
await sandbox.createPty({ command: "python3" });
for (const leftover of await sandbox.listPtys()) {
  console.log("killing", leftover.sessionId, leftover.command, await leftover.kill());
}
console.log("live PTYs:", emulator.live().ptys);
