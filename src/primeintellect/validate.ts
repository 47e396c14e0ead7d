/**
 * Prime Intellect's argument rules, checked before any request: the ports it
 * exposes, exposure names and protocols, SSH session lifetimes, public keys
 * and identity files. Each throws an `InvalidArgumentError` naming the field
 * and the rule.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import { assertIntegerInRange, assertText } from "../validate.ts";

/**
 * Ports Prime Intellect does not expose: https://docs.primeintellect.ai/sandboxes/cli,
 * "Expose Ports" ("Ports must be in the range 22–9000. Ports 8080, 2222, and 8081 cannot…").
 */
export const RESERVED_PORTS: readonly number[] = [8080, 2222, 8081];

/** Checks a port to expose: an integer from 22 to 9000, not one of {@link RESERVED_PORTS}. */
export function assertPort(value: unknown): asserts value is number {
  assertIntegerInRange("port", value, 22, 9000);
  if (RESERVED_PORTS.includes(value as number)) {
    throw new InvalidArgumentError(
      "port",
      value,
      "must not be 8080, 2222 or 8081: Prime Intellect does not expose them (docs: Expose Ports)",
    );
  }
}

/** Checks an exposure name: absent, `null`, or a string of at most 50 characters. */
export function assertExposureName(value: unknown): asserts value is string | null | undefined {
  if (value === undefined || value === null) return;
  if (typeof value !== "string") {
    throw new InvalidArgumentError("name", value, "must be a string of at most 50 characters");
  }
  if ([...value].length > 50) {
    throw new InvalidArgumentError("name", value, "must be at most 50 characters");
  }
}

/** Upper-cases a protocol after checking it is `"HTTP"` or `"TCP"` in any case. */
export function normalizeProtocol(value: unknown): "HTTP" | "TCP" | undefined {
  if (value === undefined) return undefined;
  const upper = typeof value === "string" ? value.toUpperCase() : undefined;
  if (upper === "HTTP" || upper === "TCP") return upper;
  throw new InvalidArgumentError("protocol", value, 'must be "HTTP" or "TCP" (any case)');
}

/** Checks an SSH session lifetime: an integer from 1 to 3600 seconds. */
export function assertTtlSeconds(value: unknown): asserts value is number | undefined {
  if (value === undefined) return;
  assertIntegerInRange("ttlSeconds", value, 1, 3600);
}

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n\0]*)?$/;

/**
 * Checks an OpenSSH public key line (`ssh-ed25519 AAAA… comment`) and returns
 * it without a trailing newline. The value is never echoed: a private key
 * passed by mistake must not end up in an error message.
 */
export function normalizePublicKey(value: unknown): string {
  const rule =
    'must be one OpenSSH public key line, e.g. "ssh-ed25519 AAAA… comment" (the .pub file, never the private key)';
  if (typeof value !== "string") {
    throw new InvalidArgumentError("publicKey", value, rule, { secret: true });
  }
  const line = value.replace(/\r?\n$/, "");
  if (!PUBLIC_KEY.test(line)) {
    throw new InvalidArgumentError("publicKey", undefined, rule, { secret: true });
  }
  return line;
}

/** Checks a path to an SSH identity file: non-empty, one line, no NUL. */
export function assertIdentityFile(value: unknown): asserts value is string {
  assertText("identityFile", value);
  if (/[\r\n]/.test(value)) {
    throw new InvalidArgumentError("identityFile", value, "must not contain line breaks");
  }
}
