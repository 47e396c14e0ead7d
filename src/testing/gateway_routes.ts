/**
 * The SSH gateway's authorize endpoint, `POST {gateway_url}/{user_ns}/{job_id}/authorize`:
 * with `Authorization: Bearer {session.token}` and `{ session_id, public_key, ttl_seconds }`
 * it answers 200 `{"authorized": true}` and records the key on the session.
 *
 * Errors: 401 `{"detail":"Unauthorized"}` (no or wrong session token),
 * 404 `{"detail":"SSH session not found"}` (unknown, closed or expired session,
 * or a user_ns / job_id that does not match it), 422 `ErrorResponse` (bad body).
 *
 * @module
 */
import {
  bearerToken,
  isInteger,
  isObject,
  json,
  primeError,
  primeValidation,
  readJson,
} from "./http.ts";
import type { EmulatorState, SshSession } from "./state.ts";

const PUBLIC_KEY =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}( .*)?$/;

/** Handles one authorize request. */
export async function authorize(
  request: Request,
  state: EmulatorState,
  userNs: string,
  jobId: string,
): Promise<Response> {
  const token = bearerToken(request);
  if (!token) return primeError(401, "Unauthorized");
  const body = await readJson(request);
  if (!body.ok) return primeValidation([{ param: "body", details: body.reason }]);
  if (!isObject(body.value)) {
    return primeValidation([{ param: "body", details: "Input should be a valid dictionary" }]);
  }
  const { session_id: sessionId, public_key: publicKey, ttl_seconds: ttl } = body.value;
  const errors: { param: string; details: string }[] = [];
  if (typeof sessionId !== "string" || sessionId === "") {
    errors.push({ param: "session_id", details: "Field required" });
  }
  if (typeof publicKey !== "string" || !PUBLIC_KEY.test(publicKey.trim())) {
    errors.push({ param: "public_key", details: "Input should be an OpenSSH public key" });
  }
  if (ttl !== undefined && ttl !== null && (!isInteger(ttl) || ttl < 1 || ttl > 3600)) {
    errors.push({ param: "ttl_seconds", details: "Input should be an integer from 1 to 3600" });
  }
  if (errors.length > 0) return primeValidation(errors);

  let session: SshSession | undefined;
  for (const sandbox of state.sandboxes.values()) {
    session = sandbox.sshSessions.get(sessionId as string);
    if (session) break;
  }
  if (!session) return primeError(404, "SSH session not found");
  if (session.token !== token) return primeError(401, "Unauthorized");
  if (session.userNs !== userNs || session.jobId !== jobId) {
    return primeError(404, "SSH session not found");
  }
  session.authorizedKeys.push((publicKey as string).trim());
  return json({ authorized: true });
}
