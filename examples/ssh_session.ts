/**
 * Open an SSH session on a Prime Intellect sandbox, authorize a public key
 * and print the `ssh` command, written with try/finally for runtimes and
 * compile targets without `await using`. Runs against the emulator.
 *
 * ```sh
 * npx deno run --no-prompt examples/ssh_session.ts
 * ```
 *
 * @module
 */
import { PrimeIntellect } from "sandgate";
import { createEmulator } from "sandgate/testing";

const prime = new PrimeIntellect({
  apiKey: "demo-key",
  fetch: createEmulator().fetch,
  // A call over Prime's 20 per minute and sandbox waits: say what for.
  onRateLimit: ({ operation, waitMs }) =>
    console.log(`waiting ${Math.ceil(waitMs / 1000)} s for Prime's rate limit (${operation})`),
});
const sandbox = prime.sandbox("my-sandbox");

const session = await sandbox.createSshSession({ ttlSeconds: 900 });
try {
  // The contents of ~/.ssh/id_ed25519.pub (never the private key).
  await session.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
  const { command, argv } = session.sshCommand({ identityFile: "~/.ssh/id_ed25519" });
  console.log(command);
  console.log("argv for spawn():", argv.length, "words");
  console.log("session:", JSON.stringify(session)); // no token in here
} finally {
  console.log("closed:", await session.close());
}
