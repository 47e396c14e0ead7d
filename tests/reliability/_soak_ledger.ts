/**
 * The fault soak's create accounting (see `_soak_harness.ts`). Every create POST carries a
 * per-call marker (exposure `name`, PTY `args[0]`, SSH `ttl_seconds` unique among calls in flight
 * on its sandbox), so the ledger's `fetch` attributes each create attempt the server acted on to
 * the client call that made it:
 *
 * - *duplicates*: a call whose POST took effect more than once (a retried
 *   POST that must not have been retried) — must be 0;
 * - *orphans*: a call whose POST took effect but whose answer was lost or
 *   garbled by an injected fault (`lost-response`, `non-json`, `empty`,
 *   `truncated-json`) or arrived after the client gave up: the client never
 *   learned the id, so it cannot clean up. They are counted explicitly, must
 *   match what is left in the emulator exactly, and are then removed by a
 *   janitor with faults off;
 * - *leaks*: anything live in the emulator beyond the orphans — must be 0.
 *
 * @module
 */
import type { FaultKind } from "../../src/testing/mod.ts";

/** What a create makes, named as the emulator's `live()` counts it. */
export type Resource = "exposures" | "sshSessions" | "ptys";

/** A create call in flight: how often the server acted on it, and whether its client learned. */
interface CreateCall {
  resource: Resource;
  effective: number;
  learned: boolean;
}

/** Faults that garble an answer the server produced: its token cannot be read from it. */
const GARBLING = new Set<FaultKind>(["non-json", "empty", "truncated-json"]);

/** The marker of a create POST (`expose:sb:name`, `ssh:sb:ttl`, `pty:sb:arg0`), if it is one. */
async function markerOf(request: Request): Promise<string | undefined> {
  if (request.method !== "POST") return undefined;
  const url = new URL(request.url);
  const path = url.pathname;
  let body: Record<string, unknown>;
  try {
    body = await request.clone().json();
  } catch {
    return undefined;
  }
  let m: RegExpExecArray | null;
  if ((m = /^\/api\/v1\/sandbox\/([^/]+)\/expose$/.exec(path))) {
    return `expose:${m[1]}:${String(body.name)}`;
  }
  if ((m = /^\/api\/v1\/sandbox\/([^/]+)\/ssh-session$/.exec(path))) {
    return `ssh:${m[1]}:${String(body.ttl_seconds)}`;
  }
  if (path === "/api/v1/pty") {
    const args = body.args as unknown[] | undefined;
    return `pty:${url.hostname.split(".")[0]}:${String(args?.[0])}`;
  }
  return undefined;
}

/** Create calls in flight, by marker, and what each made happen on the server. */
export class CreateLedger {
  readonly #inFlight = new Map<string, CreateCall>();
  /** Extra times a call's POST took effect. */
  duplicates = 0;
  /** Create requests no call in flight claimed. */
  unattributed = 0;
  /** Creates attempted, answered to the client, and acted on by the server. */
  readonly stats = { attempted: 0, succeeded: 0, effective: 0 };
  /** Calls the server acted on whose client never learned the id (an SSH session's exposure too). */
  readonly orphans = { exposures: 0, sshSessions: 0, ptys: 0 };

  /**
   * `send` (the emulator's `fetch`) with each create attributed to its call. `faultOf` tells the
   * fault the emulator drew for a request; `replayLostPosts` re-sends a create whose answer was
   * lost, as a broken retry policy would (to test the ledger itself); `learnToken` gets every
   * token the server handed out in an answer the client can read.
   */
  fetch(
    send: (request: Request) => Promise<Response>,
    faultOf: WeakMap<Request, FaultKind | null>,
    options: { replayLostPosts: boolean; learnToken(marker: string, token: string): void },
  ): (request: Request) => Promise<Response> {
    return async (request) => {
      const marker = await markerOf(request);
      const call = marker ? this.#inFlight.get(marker) : undefined;
      if (marker && !call) this.unattributed++;
      let response: Response;
      const spare = options.replayLostPosts && call ? request.clone() : undefined;
      try {
        response = await send(request);
      } catch (error) {
        if (call && faultOf.get(request) === "lost-response") call.effective++;
        if (!spare) throw error;
        response = await send(spare);
        if (faultOf.get(spare) === "lost-response") call!.effective++;
      }
      if (call && response.ok) call.effective++;
      if (call && response.ok && !GARBLING.has(faultOf.get(request) as FaultKind)) {
        // Learn the tokens the server handed out, to scan for them later.
        try {
          const body = await response.clone().json() as { token?: unknown };
          if (typeof body.token === "string" && body.token.length >= 8) {
            options.learnToken(marker!, body.token);
          }
        } catch { /* the client reports it */ }
      }
      return response;
    };
  }

  /**
   * Runs a create (`run`: a counted call resolving `undefined` when it failed) with `marker`
   * registered, and accounts for what the server did; a client that saw a resource the server
   * never created goes to `problems`.
   */
  async track<T>(
    label: string,
    marker: string,
    resource: Resource,
    run: () => Promise<T | undefined>,
    problems: string[],
  ): Promise<T | undefined> {
    if (this.#inFlight.has(marker)) {
      throw new Error(`soak harness: marker ${marker} reused in flight`);
    }
    const record: CreateCall = { resource, effective: 0, learned: false };
    this.#inFlight.set(marker, record);
    this.stats.attempted++;
    try {
      const value = await run();
      record.learned = value !== undefined;
      if (record.learned) this.stats.succeeded++;
      return value;
    } finally {
      this.#inFlight.delete(marker);
      this.stats.effective += record.effective;
      if (record.effective > 1) this.duplicates += record.effective - 1;
      if (record.effective > 0 && !record.learned) {
        this.orphans[resource]++;
        if (resource === "sshSessions") this.orphans.exposures++;
      }
      if (record.learned && record.effective === 0) {
        problems.push(`${label}: client saw a created resource the server never created`);
      }
    }
  }
}
