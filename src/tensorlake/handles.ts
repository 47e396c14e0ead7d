/**
 * Tensorlake's handle kinds: how its PTY sessions are named, cleaned up and
 * found in a create call's answer.
 *
 * @module
 */
import { type HandleKind, handleKinds } from "../handle.ts";

/** Tensorlake's handle kinds, one row each (see `HandleKindRow`). */
export const TENSORLAKE_HANDLES: Record<"pty", HandleKind> = /* @__PURE__ */ handleKinds(
  "tensorlake",
  { pty: ["Pty", "killPty", "PTY session", "sessionId", "session_id"] },
);
