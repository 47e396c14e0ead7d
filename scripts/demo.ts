/**
 * `npm start` / `deno task demo`: a guided tour of sandgate.
 *
 * With no environment it starts the built-in emulator on loopback and runs
 * against it: expose a port and show its URL → list exposures → open an SSH
 * session and show the ssh command → create, resize and kill a PTY → unexpose
 * and close everything. With `PRIME_API_KEY` + `SANDGATE_PRIME_SANDBOX_ID`
 * (and/or `TENSORLAKE_API_KEY` + `SANDGATE_TENSORLAKE_SANDBOX`) set, that
 * provider's part runs against the real API instead, and the demo says so.
 *
 * Exits 0 on success; on failure prints the typed error (name and message),
 * still cleans up, and exits 1. Tokens and keys are never printed.
 *
 * @module
 */
import { createPrimeIntellectClient, createTensorlakeClient, SandgateError } from "../mod.ts";
import { createEmulator, type Emulator, serve, type ServedEmulator } from "../src/testing/mod.ts";

const env = (name: string): string | undefined => {
  const value = Deno.env.get(name)?.trim();
  return value ? value : undefined;
};

const bold = (s: string) => (Deno.noColor ? s : `\x1b[1m${s}\x1b[22m`);
const dim = (s: string) => (Deno.noColor ? s : `\x1b[2m${s}\x1b[22m`);
const green = (s: string) => (Deno.noColor ? s : `\x1b[32m${s}\x1b[39m`);
const red = (s: string) => (Deno.noColor ? s : `\x1b[31m${s}\x1b[39m`);

let stepNumber = 0;
function step(title: string, result: string): void {
  stepNumber += 1;
  const label = `${String(stepNumber).padStart(2)}. ${title} `;
  console.log(`  ${label}${dim(".".repeat(Math.max(2, 38 - label.length)))} ${result}`);
}
function detail(text: string): void {
  console.log(`        ${text}`);
}

/** Cleanup actions, run last-in first-out even when a step failed. */
type Cleanup = { title: string; run: () => Promise<string | undefined> };

/** Throws the typed error behind a low-level `{ error, response }` result. */
function check<T>(
  what: string,
  result: { data?: T; error?: unknown; response: Response },
): T {
  if (result.data === undefined || result.error !== undefined) {
    const body = result.error === undefined ? "" : ` ${JSON.stringify(result.error)}`;
    throw new SandgateError(`${what} failed: ${result.response.status}${body}`);
  }
  return result.data;
}

/** The public half of a fresh ed25519 key, as an OpenSSH `authorized_keys` line. */
async function ephemeralPublicKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const type = new TextEncoder().encode("ssh-ed25519");
  const blob = new Uint8Array(4 + type.length + 4 + raw.length);
  const view = new DataView(blob.buffer);
  view.setUint32(0, type.length);
  blob.set(type, 4);
  view.setUint32(4 + type.length, raw.length);
  blob.set(raw, 8 + type.length);
  return `ssh-ed25519 ${btoa(String.fromCharCode(...blob))} sandgate-demo`;
}

function shortKey(line: string): string {
  const [type, data = ""] = line.split(" ");
  return `${type} ${data.slice(0, 16)}…${data.slice(-6)}`;
}

async function primeFlow(
  baseUrl: string | undefined,
  apiKey: string,
  sandboxId: string,
  cleanups: Cleanup[],
): Promise<void> {
  const client = createPrimeIntellectClient({ apiKey, ...(baseUrl ? { baseUrl } : {}) });
  const path = { params: { path: { sandbox_id: sandboxId } } };

  const exposure = check(
    "exposePort",
    await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
      ...path,
      body: { port: 8080, name: "sandgate-demo" },
    }),
  );
  cleanups.push({
    title: `unexpose port ${exposure.port}`,
    run: async () => {
      const result = await client.DELETE("/api/v1/sandbox/{sandbox_id}/expose/{exposure_id}", {
        params: { path: { sandbox_id: sandboxId, exposure_id: exposure.exposure_id } },
      });
      return result.response.status === 404
        ? "already gone"
        : (check("unexposePort", result), "done");
    },
  });
  step(`expose port ${exposure.port}`, bold(exposure.url));

  const { exposures } = check(
    "listExposures",
    await client.GET("/api/v1/sandbox/{sandbox_id}/expose", path),
  );
  step("list exposures", `${exposures.length} exposed`);
  for (const e of exposures) {
    detail(
      `${String(e.port).padEnd(5)} ${(e.protocol ?? "").padEnd(4)} ${e.name ?? "-"}  ${e.url}`,
    );
  }

  const session = check(
    "createSshSession",
    await client.POST("/api/v1/sandbox/{sandbox_id}/ssh-session", {
      ...path,
      body: { ttl_seconds: 600 },
    }),
  );
  cleanups.push({
    title: "close SSH session",
    run: async () => {
      const result = await client.DELETE("/api/v1/sandbox/{sandbox_id}/ssh-session/{session_id}", {
        params: { path: { sandbox_id: sandboxId, session_id: session.session_id } },
      });
      return result.response.status === 404
        ? "already gone"
        : (check("closeSshSession", result), "done");
    },
  });
  step("open an SSH session", `${session.session_id}, expires ${session.expires_at}`);

  const publicKey = await ephemeralPublicKey();
  const authorize = await fetch(
    `${session.gateway_url.replace(/\/+$/, "")}/${session.user_ns}/${session.job_id}/authorize`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${session.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        session_id: session.session_id,
        public_key: publicKey,
        ttl_seconds: session.ttl_seconds,
      }),
    },
  );
  await authorize.body?.cancel();
  if (!authorize.ok) throw new SandgateError(`authorizeKey failed: ${authorize.status}`);
  step("authorize a public key", shortKey(publicKey));
  detail(
    `$ ${
      bold(
        `ssh ${session.session_id}@${session.host} -p ${session.port} -i ~/.ssh/id_ed25519 ` +
          "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
      )
    }`,
  );
  detail(dim("(use the private key whose public half you authorized)"));
}

async function tensorlakeFlow(
  baseUrl: string | undefined,
  apiKey: string,
  sandbox: string,
  cleanups: Cleanup[],
): Promise<void> {
  const client = createTensorlakeClient({
    apiKey,
    ...(baseUrl ? { baseUrl } : { sandbox }),
  });
  const created = check(
    "createPty",
    await client.POST("/api/v1/pty", { body: { command: "bash", args: ["-l"] } }),
  );
  const id = { params: { path: { session_id: created.session_id } } };
  let killed = false;
  cleanups.push({
    title: "kill PTY",
    run: async () => {
      if (killed) return undefined;
      const result = await client.DELETE("/api/v1/pty/{session_id}", id);
      return result.response.status === 404 ? "already gone" : "done";
    },
  });
  const info = check("getPty", await client.GET("/api/v1/pty/{session_id}", id));
  step("create a PTY running `bash -l`", `${created.session_id}, ${info.cols}x${info.rows}`);

  const resized = await client.POST("/api/v1/pty/{session_id}/resize", {
    ...id,
    body: { rows: 40, cols: 120 },
  });
  if (resized.response.status !== 204) check("resizePty", resized);
  const after = check("getPty", await client.GET("/api/v1/pty/{session_id}", id));
  step("resize it", `${after.cols}x${after.rows}`);

  const kill = await client.DELETE("/api/v1/pty/{session_id}", id);
  if (kill.response.status !== 204) check("killPty", kill);
  killed = true;
  step("kill it", "done (204)");
}

async function main(): Promise<number> {
  const primeKey = env("PRIME_API_KEY");
  const primeSandbox = env("SANDGATE_PRIME_SANDBOX_ID");
  const tlKey = env("TENSORLAKE_API_KEY");
  const tlSandbox = env("SANDGATE_TENSORLAKE_SANDBOX");
  const realPrime = Boolean(primeKey && primeSandbox);
  const realTensorlake = Boolean(tlKey && tlSandbox);

  console.log(bold("sandgate demo"));
  let emulator: Emulator | undefined;
  let server: ServedEmulator | undefined;
  if (!realPrime || !realTensorlake) {
    emulator = createEmulator();
    server = await serve(emulator, { port: 0, hostname: "127.0.0.1" });
    console.log(
      `emulator listening on ${bold(server.url)} ${dim("(no account or API key needed)")}`,
    );
    if (!realPrime && !realTensorlake) {
      console.log(
        dim(
          "set PRIME_API_KEY + SANDGATE_PRIME_SANDBOX_ID and/or TENSORLAKE_API_KEY + " +
            "SANDGATE_TENSORLAKE_SANDBOX to run against the real APIs",
        ),
      );
    }
  }

  const cleanups: Cleanup[] = [];
  let failed = false;
  try {
    const primeSandboxId = realPrime ? primeSandbox! : "demo-sandbox";
    console.log(
      `\n${bold("Prime Intellect")} ${
        realPrime ? "(real API)" : "(emulator)"
      }, sandbox ${primeSandboxId}`,
    );
    await primeFlow(
      realPrime ? undefined : server!.url,
      realPrime ? primeKey! : "demo-key",
      primeSandboxId,
      cleanups,
    );

    const tlName = realTensorlake ? tlSandbox! : "default";
    console.log(
      `\n${bold("Tensorlake")} ${realTensorlake ? "(real API)" : "(emulator)"}, sandbox ${tlName}`,
    );
    await tensorlakeFlow(
      realTensorlake ? undefined : server!.url,
      realTensorlake ? tlKey! : "demo-key",
      tlName,
      cleanups,
    );
  } catch (error) {
    failed = true;
    const name = error instanceof Error ? error.name : "Error";
    const message = error instanceof Error ? error.message : String(error);
    console.log(`\n${red(`✗ ${name}: ${message}`)}`);
  } finally {
    console.log(`\n${bold("Cleanup")}`);
    for (const cleanup of cleanups.reverse()) {
      try {
        const result = await cleanup.run();
        if (result !== undefined) step(cleanup.title, result);
      } catch (error) {
        failed = true;
        step(cleanup.title, red(`${(error as Error).name}: ${(error as Error).message}`));
      }
    }
    if (emulator) {
      const live = emulator.live();
      const { served, overLimit } = emulator.stats;
      console.log(
        `  emulator: ${live.exposures} exposures, ${live.sshSessions} SSH sessions, ${live.ptys} PTYs ` +
          `left; ${served} requests served, ${overLimit} over the rate limit`,
      );
    }
    await server?.close();
  }
  console.log(failed ? red("\ndemo failed") : green("\n✓ demo finished, everything closed"));
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
