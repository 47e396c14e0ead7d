/**
 * `sandgate emulator`: the built-in emulator of both providers on a
 * loopback port, for tests in any language, with the environment variables
 * that point the CLI and the SDK at it.
 *
 * @module
 */
import { createEmulator, serve } from "../../testing/mod.ts";
import { type CommandSpec, integerOption, JSON_OPTION, parse, positionals } from "../args.ts";
import type { Context } from "../context.ts";
import { rich } from "../output.ts";
import { EXIT } from "../errors.ts";

/** `sandgate emulator`. */
export const EMULATOR: CommandSpec = {
  name: "emulator",
  usage: "emulator [--port N] [--json]",
  summary: "Serve the built-in Prime Intellect + Tensorlake emulator on 127.0.0.1 until Ctrl-C.",
  details: [
    "Prints the URL and the environment variables that point the CLI and the SDK at it.",
    "Any API key is accepted; SSH sessions get a TCP endpoint on 127.0.0.1 that accepts",
    "connections (it is not an SSH server). With TENSORLAKE_SANDBOX_PROXY_URL set to its URL,",
    "a named Tensorlake sandbox (sandgate pty my-sandbox) reaches it by the",
    "X-Tensorlake-Sandbox-Id header; the URL itself as the sandbox is the emulator's default one.",
  ],
  options: {
    port: { type: "string", value: "N", description: "port to listen on (default: a free one)" },
    ...JSON_OPTION,
  },
};

/** The variables that point sandgate at an emulator served at `url`. */
export function emulatorEnvironment(url: string): Record<string, string> {
  return {
    PRIME_API_BASE_URL: url,
    PRIME_API_KEY: "emulator",
    TENSORLAKE_API_KEY: "emulator",
    // A proxy used as given: each Tensorlake sandbox is named in X-Tensorlake-Sandbox-Id.
    TENSORLAKE_SANDBOX_PROXY_URL: url,
  };
}

/** Runs `emulator` until SIGINT / SIGTERM. */
export async function emulator(ctx: Context, args: string[]): Promise<number> {
  const parsed = parse(EMULATOR, args);
  positionals(EMULATOR, parsed, []);
  const port = integerOption(EMULATOR, parsed, "port", 0, 65535) ?? 0;
  const server = await serve(createEmulator(), { port, hostname: "127.0.0.1" });
  try {
    const env = emulatorEnvironment(server.url);
    if (parsed.values.json) {
      ctx.out.json({ url: server.url, port: server.port, env });
    } else {
      const { bold, dim } = ctx.out.out;
      ctx.out.line(rich`emulator listening on ${bold(server.url)} ${dim("(Ctrl-C to stop)")}`);
      ctx.out.line("");
      ctx.out.line(dim("# point the CLI and the SDK at it:"));
      for (const [name, value] of Object.entries(env)) ctx.out.line(`export ${name}=${value}`);
      ctx.out.line("");
      ctx.out.line(dim("# then, in another terminal:"));
      ctx.out.line("sandgate expose my-sandbox 8080");
      ctx.out.line("sandgate ports my-sandbox");
      ctx.out.line("sandgate ssh my-sandbox");
      ctx.out.line("sandgate pty my-sandbox");
    }
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    ctx.out.note("emulator stopped");
    return EXIT.ok;
  } finally {
    await server.close();
  }
}
