/**
 * Response builders and request parsing shared by the emulator's routes.
 *
 * @module
 */
import { toHex } from "../util/hash.ts";

/** A JSON response. */
export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A response without a body (204). */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** Prime Intellect error with FastAPI's `{ detail }` body (401, 404, 405, 429, 5xx). */
export function primeError(status: number, detail: string, headers?: Record<string, string>) {
  return json({ detail }, status, headers);
}

/** Prime Intellect 422 `ErrorResponse`. */
export function primeValidation(errors: { param: string; details: string }[]): Response {
  return json({ errors }, 422);
}

/** Tensorlake `SandboxProxyError`. */
export function proxyError(
  status: number,
  error: string,
  code: string,
  headers?: Record<string, string>,
): Response {
  return json({ error, code }, status, headers);
}

/** The bearer token of a request, or `undefined` when there is none. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S.*)$/i.exec(header.trim()) : null;
  const token = match?.[1]?.trim();
  return token ? token : undefined;
}

/** Result of reading a JSON body. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: string };

/** Reads a request's body as JSON; an empty or malformed body is reported, not thrown. */
export async function readJson(request: Request): Promise<JsonBody> {
  let text: string;
  try {
    text = await request.text();
  } catch {
    return { ok: false, reason: "could not read the request body" };
  }
  if (text.trim() === "") return { ok: false, reason: "Field required" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: "JSON decode error" };
  }
}

/** Whether a value is a plain object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether a value is an integer number (not a boolean or numeric string). */
export function isInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

/** Random hex string of `bytes` bytes from `crypto.getRandomValues`. */
export function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return toHex(buffer);
}

/** A URL-safe random token of 32 bytes. */
export function randomToken(): string {
  const buffer = new Uint8Array(32);
  crypto.getRandomValues(buffer);
  let binary = "";
  for (const b of buffer) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** ISO 8601 of epoch milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
