/**
 * Keeping a WebSocket's secrets (a token in the URL or a header, the bearer
 * key) out of everything a channel hands back: errors of a WebSocket
 * constructor, close reasons a server sends.
 *
 * @module
 */
import { REDACTED, redactError, type Redactor, redactor } from "../util/redact.ts";

/** `secrets` plus the bearer of an `Authorization` header (`Bearer` stripped), non-empty. */
export function secretsOf(
  secrets: readonly string[],
  headers: Record<string, string> | undefined,
): string[] {
  const all = new Set(secrets);
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (/^authorization$/i.test(name)) all.add(value.replace(/^Bearer\s+/i, ""));
  }
  return [...all].filter((secret) => secret.length > 0);
}

/**
 * A foreign error (a WebSocket constructor's, which may quote the URL and its
 * headers) as a cause without the secrets: errors are redacted, anything
 * else is replaced by a plain `Error` of its redacted text.
 */
export function foreignCause(error: unknown, secrets: readonly string[]): unknown {
  if (error instanceof Error) {
    const clean = redactError(error, secrets);
    return typeof clean === "string" ? new Error(clean) : clean;
  }
  let text: string;
  try {
    text = typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  const redact = redactor(secrets);
  return new Error(redact.text(text).replace(/token=[^&\s"']*/g, `token=${REDACTED}`));
}

/**
 * A close reason as it may be shown: at most 123 characters, secrets
 * removed; a reason that still holds the start of one (a server may cut an
 * echoed token short) is dropped whole.
 */
export function safeReason(reason: string, redact: Redactor, secrets: readonly string[]): string {
  const text = redact.text(reason.slice(0, 123));
  if (secrets.some((secret) => secret.length >= 8 && text.includes(secret.slice(0, 8)))) {
    return REDACTED;
  }
  return text;
}
