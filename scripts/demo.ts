/**
 * `npm start` / `deno task demo`: the guided tour of `sandgate demo`
 * (src/cli/commands/demo.ts), run from the sources.
 *
 * @module
 */
import { runDemo } from "../src/cli/commands/demo.ts";
import { Output, processIo } from "../src/cli/output.ts";

if (import.meta.main) Deno.exit(await runDemo(new Output(processIo())));
