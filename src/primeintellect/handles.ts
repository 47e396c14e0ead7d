/**
 * Prime Intellect's handle kinds: how its exposures and SSH sessions are
 * named, cleaned up and found in a create call's answer.
 *
 * @module
 */
import { type HandleKind, handleKinds } from "../handle.ts";

/** Prime Intellect's handle kinds, one row each (see `HandleKindRow`). */
export const PRIME_INTELLECT_HANDLES: Record<"exposure" | "sshSession", HandleKind> =
  /* @__PURE__ */ handleKinds("primeintellect", {
    exposure: ["Exposure", "unexposePort", "exposure", "exposureId", "exposure_id"],
    sshSession: ["SshSession", "closeSshSession", "SSH session", "sessionId", "session_id"],
  });
