/**
 * The emulator's in-memory state: sandboxes and what lives in them.
 *
 * @module
 */
import type {
  EmulatorSandbox,
  EmulatorSnapshot,
  LiveCounts,
  LiveSummary,
} from "./emulator_types.ts";

/** A port exposure. */
export interface Exposure {
  exposureId: string;
  sandboxId: string;
  port: number;
  name: string | null;
  protocol: string;
  url: string;
  tlsSocket: string;
  externalPort: number | null;
  externalEndpoint: string | null;
  createdAt: number;
  sshSessionId: string | null;
}

/** An SSH session (its TCP exposure lives in `exposures`). */
export interface SshSession {
  sessionId: string;
  exposureId: string;
  sandboxId: string;
  host: string;
  port: number;
  expiresAt: number;
  ttlSeconds: number;
  userNs: string;
  jobId: string;
  token: string;
  authorizedKeys: string[];
}

/**
 * A PTY session, with the fields Tensorlake documents for it
 * (https://docs.tensorlake.ai/api-reference/v2/pty/get).
 */
export interface PtySession {
  sessionId: string;
  token: string;
  /** Process id of the emulated program. */
  pid: number;
  command: string;
  args: string[];
  env: Record<string, string>;
  workingDir: string | null;
  rows: number;
  cols: number;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds once the program ended, else `null`. */
  endedAt: number | null;
  /** Exit code once the program ended, else `null`. */
  exitCode: number | null;
  /** Whether the OOM killer ended it (sent as `oom_killed: true` only then). */
  oomKilled: boolean;
}

/** One sandbox (both providers' resources share the namespace of names). */
export interface Sandbox {
  id: string;
  jobId: string;
  /** Prime Intellect status (`GET /api/v1/sandbox/{id}`); `"RUNNING"` unless configured. */
  status: string;
  /** Whether Prime Intellect would report it VM-backed (`vm`). */
  vm: boolean;
  /** Epoch milliseconds of its first use. */
  createdAt: number;
  exposures: Map<string, Exposure>;
  sshSessions: Map<string, SshSession>;
  ptys: Map<string, PtySession>;
}

/** All sandboxes, created on first use unless a list of known ones is given. */
export class EmulatorState {
  readonly sandboxes = new Map<string, Sandbox>();
  #nextExternalPort = 30000;
  #counter = 0;
  readonly #known: ReadonlyMap<string, EmulatorSandbox> | undefined;

  /** `known`: the only sandboxes that exist; `undefined` lets any spring into existence. */
  constructor(known: readonly (string | EmulatorSandbox)[] | undefined) {
    this.#known = known
      ? new Map(known.map((k) => typeof k === "string" ? [k, { id: k }] : [k.id, k]))
      : undefined;
  }

  /** The sandbox, created on first use (at `now`); `undefined` when it is not a known one. */
  sandbox(id: string, now = 0): Sandbox | undefined {
    let sandbox = this.sandboxes.get(id);
    if (sandbox) return sandbox;
    const spec = this.#known ? this.#known.get(id) : { id };
    if (!spec) return undefined;
    sandbox = {
      id,
      jobId: `job-${this.#nextId()}`,
      status: spec.status ?? "RUNNING",
      vm: spec.vm ?? false,
      createdAt: now,
      exposures: new Map(),
      sshSessions: new Map(),
      ptys: new Map(),
    };
    this.sandboxes.set(id, sandbox);
    return sandbox;
  }

  /** A fresh external port for TCP exposures and SSH sessions. */
  externalPort(): number {
    const port = this.#nextExternalPort++;
    if (this.#nextExternalPort > 32767) this.#nextExternalPort = 30000;
    return port;
  }

  /** A short id, unique within this state, with a random tail. */
  id(prefix: string): string {
    return `${prefix}${this.#nextId()}`;
  }

  #nextId(): string {
    this.#counter += 1;
    const buffer = new Uint8Array(4);
    crypto.getRandomValues(buffer);
    const tail = Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${this.#counter.toString(36)}${tail}`;
  }

  /** Drops SSH sessions (and their exposures) that expired at `now`. */
  expire(now: number): void {
    for (const sandbox of this.sandboxes.values()) {
      for (const session of sandbox.sshSessions.values()) {
        if (session.expiresAt <= now) closeSshSession(sandbox, session.sessionId);
      }
    }
  }

  /** Live counts per sandbox and in total. */
  live(): LiveSummary {
    const summary: LiveSummary = { exposures: 0, sshSessions: 0, ptys: 0, sandboxes: {} };
    for (const sandbox of this.sandboxes.values()) {
      const counts: LiveCounts = {
        exposures: sandbox.exposures.size,
        sshSessions: sandbox.sshSessions.size,
        ptys: sandbox.ptys.size,
      };
      summary.exposures += counts.exposures;
      summary.sshSessions += counts.sshSessions;
      summary.ptys += counts.ptys;
      if (counts.exposures + counts.sshSessions + counts.ptys > 0) {
        summary.sandboxes[sandbox.id] = counts;
      }
    }
    return summary;
  }

  /** A deep copy without tokens. */
  snapshot(): EmulatorSnapshot {
    const snapshot: EmulatorSnapshot = { sandboxes: {} };
    for (const sandbox of this.sandboxes.values()) {
      snapshot.sandboxes[sandbox.id] = {
        exposures: [...sandbox.exposures.values()].map((e) => ({
          exposure_id: e.exposureId,
          port: e.port,
          name: e.name,
          protocol: e.protocol,
          url: e.url,
          created_at: new Date(e.createdAt).toISOString(),
          ssh_session_id: e.sshSessionId,
        })),
        sshSessions: [...sandbox.sshSessions.values()].map((s) => ({
          session_id: s.sessionId,
          exposure_id: s.exposureId,
          expires_at: new Date(s.expiresAt).toISOString(),
          authorized_keys: [...s.authorizedKeys],
        })),
        ptys: [...sandbox.ptys.values()].map((p) => ({
          session_id: p.sessionId,
          command: p.command,
          args: [...p.args],
          rows: p.rows,
          cols: p.cols,
        })),
      };
    }
    return snapshot;
  }
}

/** Closes an SSH session and removes its TCP exposure; `false` when unknown. */
export function closeSshSession(sandbox: Sandbox, sessionId: string): boolean {
  const session = sandbox.sshSessions.get(sessionId);
  if (!session) return false;
  sandbox.sshSessions.delete(sessionId);
  sandbox.exposures.delete(session.exposureId);
  return true;
}

/** Removes an exposure (closing the SSH session that owns it); `false` when unknown. */
export function removeExposure(sandbox: Sandbox, exposureId: string): boolean {
  const exposure = sandbox.exposures.get(exposureId);
  if (!exposure) return false;
  sandbox.exposures.delete(exposureId);
  if (exposure.sshSessionId) sandbox.sshSessions.delete(exposure.sshSessionId);
  return true;
}
