/**
 * One Prime Intellect sandbox, as the high-level API shows it: the
 * {@link PrimeIntellectSandbox} interface that `PrimeIntellect.sandbox()`
 * returns (exposures, SSH sessions, forwarding), and what `info()` reports.
 *
 * @module
 */
import type { CleanupOptions, CleanupResult } from "../handle.ts";
import type { CallOptions } from "../options.ts";
import type { ConnectOptions, Forward, ForwardOptions, TcpConnection } from "../forward/types.ts";
import type { ExposePortOptions, Exposure } from "./exposure.ts";
import type { CreateSshSessionOptions, SshSession } from "./ssh.ts";

/**
 * One Prime Intellect sandbox: its exposed ports and SSH sessions. Get it
 * from {@link PrimeIntellect.sandbox}.
 *
 * Every method checks its arguments before sending anything (an
 * `InvalidArgumentError` names the field and the rule), accepts per-call
 * `{ signal, timeoutMs }` last, and throws typed `ApiError`s.
 *
 * @example Open an SSH session and print the ssh command
 * ```ts
 * import { PrimeIntellect } from "@sandgate/sdk";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
 *   .sandbox("sb-1");
 * await using session = await sandbox.createSshSession({ ttlSeconds: 600 });
 * await session.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
 * console.log(session.sshCommand({ identityFile: "~/.ssh/id_ed25519" }).command);
 * ```
 */
export interface PrimeIntellectSandbox {
  /** The sandbox id. */
  readonly id: string;
  /**
   * Looks the sandbox up (`GET /api/v1/sandbox/{sandbox_id}`, 300 requests per 60 s):
   * its `status` and whether it is a VM. Prime's own CLI does this before `ssh`
   * (and refuses unless `RUNNING`); sandgate does it once per sandbox and client
   * before the first port or SSH call, to refuse VM sandboxes as Prime's SDK does.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const emulator = createEmulator({ sandboxes: [{ id: "sb-1", status: "PENDING" }] });
   * const info = await new PrimeIntellect({ apiKey: "demo", fetch: emulator.fetch })
   *   .sandbox("sb-1").info();
   * console.log(info.status, info.vm); // PENDING false
   * ```
   */
  info(callOptions?: CallOptions): Promise<PrimeSandboxInfo>;
  /**
   * Exposes a port of the sandbox and returns the {@link Exposure}, with its
   * public `url`. `await using` unexposes it at scope exit.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const prime = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch });
   * await using exposure = await prime.sandbox("sb-1").exposePort({
   *   port: 5432,
   *   name: "db",
   *   protocol: "tcp",
   * });
   * console.log(exposure.protocol, exposure.externalEndpoint); // TCP host:port
   * ```
   */
  exposePort(options: ExposePortOptions, callOptions?: CallOptions): Promise<Exposure>;

  /**
   * Unexposes a port by exposure id. Resolves `{ alreadyGone: true }` when it
   * was already gone (404), unless `{ strict: true }` asks for a `NotFoundError`.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * const { exposureId } = await sandbox.exposePort({ port: 3000 });
   * console.log(await sandbox.unexposePort(exposureId)); // { alreadyGone: false }
   * console.log(await sandbox.unexposePort(exposureId)); // { alreadyGone: true }
   * ```
   */
  unexposePort(exposureId: string, options?: CleanupOptions): Promise<CleanupResult>;

  /**
   * Lists the sandbox's exposed ports (SSH sessions' TCP exposures included),
   * each an {@link Exposure} that can be unexposed directly.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * await sandbox.exposePort({ port: 8000, name: "web" });
   * for (const exposure of await sandbox.listExposures()) {
   *   console.log(exposure.name, exposure.url);
   *   await exposure.unexpose();
   * }
   * ```
   */
  listExposures(callOptions?: CallOptions): Promise<Exposure[]>;

  /**
   * Opens an SSH session (no sshd needed in the sandbox). Next: authorize a
   * public key with {@link SshSession.authorizeKey}, then run
   * {@link SshSession.sshCommand}. `await using` closes it at scope exit.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * await using session = await sandbox.createSshSession({ ttlSeconds: 300 });
   * console.log(session.sessionId, session.expiresAt.toISOString());
   * ```
   */
  createSshSession(
    options?: CreateSshSessionOptions,
    callOptions?: CallOptions,
  ): Promise<SshSession>;

  /**
   * Closes an SSH session by id (removing its TCP exposure). Resolves
   * `{ alreadyGone: true }` on a 404 unless `{ strict: true }`.
   *
   * @example
   * ```ts
   * import { PrimeIntellect } from "@sandgate/sdk";
   * import { createEmulator } from "@sandgate/sdk/testing";
   *
   * const sandbox = new PrimeIntellect({ apiKey: "demo", fetch: createEmulator().fetch })
   *   .sandbox("sb-1");
   * const { sessionId } = await sandbox.createSshSession();
   * console.log(await sandbox.closeSshSession(sessionId)); // { alreadyGone: false }
   * ```
   */
  closeSshSession(sessionId: string, options?: CleanupOptions): Promise<CleanupResult>;

  /**
   * Listens on a local port (Deno, Node, Bun) and relays each connection to
   * `remotePort` inside the sandbox through a TCP exposure: an existing one
   * of that port, else one created now and removed when the forward ends.
   * `await using` stops it.
   *
   * @example
   * ```ts ignore
   * await using forward = await prime.sandbox("sb-1").forward(5432, { localPort: 15432 });
   * console.log(`psql -h ${forward.host} -p ${forward.port}`);
   * ```
   */
  forward(remotePort: number, options?: ForwardOptions): Promise<Forward>;

  /**
   * A duplex byte stream to `remotePort` inside the sandbox, through a TCP
   * exposure as {@link PrimeIntellectSandbox.forward} uses. Needs a raw TCP
   * socket: Deno, Node, Bun or workerd (`cloudflare:sockets`); browsers get
   * an `UnsupportedRuntimeError`.
   *
   * @example
   * ```ts ignore
   * await using connection = await prime.sandbox("sb-1").connect(6379);
   * await connection.writable.getWriter().write(new TextEncoder().encode("PING\r\n"));
   * ```
   */
  connect(remotePort: number, options?: ConnectOptions): Promise<TcpConnection>;
}

/**
 * What {@link PrimeIntellectSandbox.info} reports: the fields of Prime's sandbox
 * model that sandgate acts on (PrimeIntellect-ai/prime `models.py`@66fb4b7, `Sandbox`).
 *
 * @example
 * ```ts
 * import type { PrimeSandboxInfo } from "@sandgate/sdk";
 * const info: PrimeSandboxInfo = { id: "sb-1", status: "RUNNING", vm: false };
 * console.log(info.status === "RUNNING" && !info.vm);
 * ```
 */
export interface PrimeSandboxInfo {
  /** The sandbox id. */
  readonly id: string;
  /**
   * `PENDING`, `PROVISIONING`, `RUNNING`, `PAUSED`, `ERROR`, `TERMINATED`
   * (https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint), `TIMEOUT`
   * (their `SandboxStatus`), any other string the API sends, or `null` when it sent none.
   */
  readonly status: string | null;
  /** Whether it is VM-backed (`vm`, `false` when absent, as in their model). */
  readonly vm: boolean;
}
