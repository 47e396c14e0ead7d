/**
 * `session.authorizeKey()`: `POST {gatewayUrl}/{userNs}/{jobId}/authorize`
 * with the session token, through the client's pipeline.
 *
 * @module
 */
import { UnexpectedResponseError } from "../errors.ts";
import { type CallOptions, USER_AGENT } from "../options.ts";
import type { Pipeline } from "../pipeline.ts";
import { type ClientResult, invoke } from "../request.ts";
import { assertCallOptions, parseSecureUrl } from "../validate.ts";
import { authorizeUrl, type SshSessionInfo } from "./ssh.ts";
import { normalizePublicKey } from "./validate.ts";

/**
 * Authorizes `publicKey` for `session`. The gateway is not the API origin,
 * so the API key is never sent there: the session token is the call's bearer.
 */
export async function authorizeSshKey(
  session: SshSessionInfo & { readonly token: string },
  publicKey: string,
  callOptions: CallOptions | undefined,
  pipeline: Pipeline,
): Promise<void> {
  const key = normalizePublicKey(publicKey);
  assertCallOptions(callOptions);
  const url = new URL(authorizeUrl(
    session,
    (gateway) =>
      parseSecureUrl(
        gateway,
        (rule) =>
          new UnexpectedResponseError(`Prime Intellect createSshSession: gatewayUrl ${rule}`),
      ),
  ));
  // The same pipeline as every other call (timeout, retries, redirects, network errors,
  // events), on the gateway's origin with the session token as the bearer, which the auth
  // layer then redacts from every answer and error as it does the API key. The gateway
  // documents no budget: no client-side limit.
  const body = JSON.stringify({
    session_id: session.sessionId,
    public_key: key,
    ttl_seconds: session.ttlSeconds,
  });
  await invoke(async ({ signal }): Promise<ClientResult<never>> => {
    const response = await pipeline.send(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": USER_AGENT },
        body,
        ...(signal ? { signal } : {}),
      }),
      {
        operation: "authorizeKey",
        timeoutMs: callOptions?.timeoutMs,
        bearer: { origin: url.origin, token: session.token },
      },
    );
    const text = await response.text();
    return response.ok ? { response } : { error: parseMaybeJson(text), response };
  }, { pipeline, operation: "authorizeKey", callOptions });
}

function parseMaybeJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
