/**
 * The `sandgate` command line: `npx sandgate --help` (npm), `deno run -A
 * jsr:@sandgate/sdk/cli --help` (Deno), `npx deno task cli --help` (sources).
 *
 * Running this module runs the CLI on the process's arguments and exits
 * with its exit code (see `sandgate --help`). It uses only the package's
 * public entry points and `node:` modules, so it runs on Node ≥ 20, Deno and
 * Bun alike.
 *
 * @module
 */
import process from "node:process";
import { flushProcessOutput, processIo } from "./output.ts";
import { needsWebSocketFlag, rerunWithWebSocket } from "./node_websocket.ts";
import { run } from "./run.ts";

const argv = process.argv.slice(2);
// Node 20 has a WebSocket (for `sandgate pty`) only behind a flag: run again with it.
const code = argv[0] === "pty" && needsWebSocketFlag()
  ? await rerunWithWebSocket(argv)
  : await run(argv, processIo());
// Let piped output drain before exiting (process.exit would cut it short).
await flushProcessOutput();
process.exit(code);
