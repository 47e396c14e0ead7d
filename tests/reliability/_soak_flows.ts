/**
 * What the fault soak's workers do (see `_soak_harness.ts`): random flows through the high-level
 * API — expose / list / unexpose, create / authorize / close SSH, create / resize / get / kill a
 * PTY and attach to it — each handle in an `await using` scope. Every draw comes from the run's
 * seeded `random`, in the order the flows make them.
 *
 * @module
 */
import { type PrimeIntellect, type Pty, PtyDisconnectedError, type Tensorlake } from "../../mod.ts";
import type { Resource } from "./_soak_ledger.ts";

const SOAK_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGsoak soak@test";

/** What the flows run with: the run's draws, sandboxes, counted calls and scopes. */
export interface SoakKit {
  /** The run's seeded draws. */
  random(): number;
  /** Whether there are SDK calls left in the run's budget. */
  budgetLeft(): boolean;
  /** The sandbox ids, shared round-robin by the workers, and their handles per provider. */
  names: string[];
  prime: ReturnType<PrimeIntellect["sandbox"]>[];
  tensorlake: ReturnType<Tensorlake["sandbox"]>[];
  /** Whether PTY flows may attach. */
  attach: boolean;
  /** Attach outcomes, counted by the flows. */
  attaches: { attempted: number; exited: number; killed: number; detached: number };
  /** The next number of the run's marker sequence, and of the SSH TTL sequence. */
  next(): number;
  nextSsh(): number;
  /** Remembers a value to scan for secrets at the end (when the run scans). */
  keep(value: unknown, label: string): void;
  /** One SDK call, counted; resolves `undefined` when it failed (recorded). */
  call<T>(label: string, run: () => Promise<T>): Promise<T | undefined>;
  /** A create, counted and accounted for by its marker. */
  create<T>(
    label: string,
    marker: string,
    resource: Resource,
    run: () => Promise<T>,
  ): Promise<T | undefined>;
  /** `body` in an `await using` scope over `handle`; the disposal is one call. */
  scope<T extends AsyncDisposable>(
    label: string,
    handle: T,
    body: (handle: T) => Promise<void>,
  ): Promise<void>;
}

/** The flows a worker picks from, uniformly. */
export const FLOWS: ((kit: SoakKit, worker: number) => Promise<void>)[] = [
  exposeFlow,
  sshFlow,
  ptyFlow,
];

async function exposeFlow(kit: SoakKit, w: number): Promise<void> {
  const i = w % kit.names.length;
  const sb = kit.prime[i]!;
  const name = `c${kit.next()}`;
  const protocol = kit.random() < 0.5 ? "http" : "TCP";
  const port = 22 + Math.floor(kit.random() * 8979);
  const exposure = await kit.create(
    "exposePort",
    `expose:${kit.names[i]}:${name}`,
    "exposures",
    () => sb.exposePort({ port, name, protocol }),
  );
  if (!exposure) return;
  kit.keep(exposure, "exposure handle");
  await kit.scope("dispose exposure", exposure, async (e) => {
    if (kit.random() < 0.3 && kit.budgetLeft()) {
      await kit.call("listExposures", () => sb.listExposures());
    }
    if (kit.random() < 0.2 && kit.budgetLeft()) await kit.call("unexpose", () => e.unexpose());
  });
}

async function sshFlow(kit: SoakKit, w: number): Promise<void> {
  const i = w % kit.names.length;
  const sb = kit.prime[i]!;
  const ttlSeconds = 3600 - (kit.nextSsh() % 3000);
  const session = await kit.create(
    "createSshSession",
    `ssh:${kit.names[i]}:${ttlSeconds}`,
    "sshSessions",
    () => sb.createSshSession({ ttlSeconds }),
  );
  if (!session) return;
  kit.keep(session, "SSH session handle");
  await kit.scope("dispose SSH session", session, async (s) => {
    if (kit.random() < 0.5) {
      const command = s.sshCommand({ identityFile: "~/.ssh/id_ed25519" });
      kit.keep(command, "sshCommand");
    }
    if (kit.random() < 0.3 && kit.budgetLeft()) {
      await kit.call("authorizeKey", () => s.authorizeKey(SOAK_PUBLIC_KEY));
    }
    if (kit.random() < 0.2 && kit.budgetLeft()) {
      await kit.call("closeSshSession", () => sb.closeSshSession(s.sessionId));
    }
  });
}

async function ptyFlow(kit: SoakKit, w: number): Promise<void> {
  const i = w % kit.names.length;
  const sb = kit.tensorlake[i]!;
  const marker = `c${kit.next()}`;
  const pty = await kit.create(
    "createPty",
    `pty:${kit.names[i]}:${marker}`,
    "ptys",
    () => sb.createPty({ command: "/bin/sh", args: [marker], rows: 24, cols: 80 }),
  );
  if (!pty) return;
  kit.keep(pty, "PTY handle");
  await kit.scope("dispose PTY", pty, async (p) => {
    const id = p.sessionId;
    if (kit.random() < 0.6 && kit.budgetLeft()) {
      const rows = 1 + Math.floor(kit.random() * 200);
      const cols = 1 + Math.floor(kit.random() * 400);
      await kit.call("resizePty", () => sb.resizePty(id, { rows, cols }));
    }
    if (kit.attach && kit.random() < 0.3 && kit.budgetLeft()) await attachFlow(kit, p);
    if (kit.random() < 0.2 && kit.budgetLeft()) await kit.call("getPty", () => sb.getPty(id));
    if (kit.random() < 0.1 && kit.budgetLeft()) await kit.call("listPtys", () => sb.listPtys());
    if (kit.random() < 0.2 && kit.budgetLeft()) await kit.call("killPty", () => sb.killPty(id));
  });
}

/** Attach, type, read the echo, then exit, kill or detach: one call. */
async function attachFlow(kit: SoakKit, p: Pty): Promise<void> {
  kit.attaches.attempted++;
  const ending = kit.random();
  await kit.call("attach", async () => {
    const connection = await p.attach({ timeoutMs: 10_000 });
    kit.keep(connection, "PTY connection");
    const reader = connection.output.getReader();
    const writer = connection.input.getWriter();
    const marker = `m${kit.next()}`;
    await writer.write(`echo ${marker}\r`);
    let seen = "";
    const decoder = new TextDecoder();
    while (!seen.includes(`${marker}\r\n`) && seen.length < 64 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
    }
    if (ending < 0.3) {
      await writer.write("exit 0\r");
    } else if (ending < 0.5) {
      await p.kill();
    } else {
      await connection.close();
    }
    const exit = await connection.exit;
    kit.keep(exit, "PTY exit");
    if (exit.kind === "exited") kit.attaches.exited++;
    else if (exit.kind === "killed") kit.attaches.killed++;
    else if (exit.error instanceof PtyDisconnectedError && exit.error.byClient) {
      kit.attaches.detached++;
    } else throw exit.error;
    reader.releaseLock();
    writer.releaseLock();
  });
}
