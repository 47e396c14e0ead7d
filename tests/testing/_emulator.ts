// What the emulator tests share: the two providers' hosts, the key, requests built by hand, and
// the check of a body against the provider's spec (openapi/*.yaml).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { Ajv } from "ajv";
import { createEmulator, type EmulatorOptions } from "../../src/testing/mod.ts";

export const PRIME = "https://api.primeintellect.ai";
export const TL = "https://my-sb.sandbox.tensorlake.ai";
export const KEY = "test-key";

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
for (const name of ["primeintellect", "tensorlake"]) {
  const doc = parse(
    await readFile(new URL(`../../openapi/${name}.yaml`, import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  ajv.addSchema(doc, name);
}

export function assertSchema(spec: "primeintellect" | "tensorlake", schema: string, body: unknown) {
  const validate = ajv.getSchema(`${spec}#/components/schemas/${schema}`);
  assert.ok(validate, `schema ${schema} exists`);
  assert.ok(
    validate(body),
    `${schema}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`,
  );
}

export function req(
  method: string,
  url: string,
  body?: unknown,
  token: string | null = KEY,
): Request {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return new Request(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

export function emulatorWith(options: EmulatorOptions = {}) {
  return createEmulator({ rateLimit: false, ...options });
}
