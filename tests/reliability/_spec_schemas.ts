/**
 * JSON-schema validation of captured requests against `openapi/*.yaml`, for
 * the fuzz tests: loads both specs with `yaml`, compiles each request-body
 * schema with ajv, and checks that a request's path matches one of the
 * spec's paths with every parameter decoding to the expected value.
 *
 * Request-body schemas are tightened with `additionalProperties: false`
 * (the specs leave it open), so a body carrying a stray or
 * prototype-pollution key fails validation.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";

type Json = Record<string, unknown>;

/** Which spec a request belongs to. */
export type SpecName = "primeintellect" | "tensorlake";

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  params: string[];
  body: ValidateFunction | undefined;
}

function specPath(name: SpecName): URL {
  return new URL(`../../openapi/${name}.yaml`, import.meta.url);
}

/** Adds `additionalProperties: false` to every object schema with properties. */
export function tighten(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(tighten);
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = tighten(v);
  if (out.type === "object" && out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

/** Compiled operations of one spec. */
export class SpecValidator {
  readonly #operations: Operation[] = [];

  /** Loads and compiles `openapi/<name>.yaml`. */
  constructor(readonly name: SpecName) {
    const doc = parse(readFileSync(specPath(name), "utf8")) as Json;
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const components = tighten(doc.components) as Json;
    ajv.addSchema({ $id: "spec", components });
    const paths = doc.paths as Record<string, Json>;
    for (const [template, item] of Object.entries(paths)) {
      const params: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(
        /\{([^}]+)\}/g,
        (_m, p: string) => {
          params.push(p);
          return "([^/]+)";
        },
      );
      const pattern = new RegExp(`^${source}$`);
      for (const method of ["get", "post", "put", "delete", "patch"]) {
        const op = item[method] as Json | undefined;
        if (!op) continue;
        const schema = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.[
          "application/json"
        ] as Json | undefined;
        let body: ValidateFunction | undefined;
        if (schema?.schema) {
          const ref = (schema.schema as { $ref?: string }).$ref;
          body = ref
            ? ajv.compile({ $ref: `spec${ref}` })
            : ajv.compile(tighten(schema.schema) as Json);
        }
        this.#operations.push({
          method: method.toUpperCase(),
          template,
          pattern,
          params,
          body,
        });
      }
    }
  }

  /**
   * Checks a captured request: method + path match a spec operation, the path
   * has no dot segments, every path parameter decodes (exactly once) to the
   * value in `expected`, and the JSON body validates. Returns the problems
   * (empty when the request is one the spec accepts).
   */
  async check(request: Request, expected: Record<string, string> = {}): Promise<string[]> {
    const problems: string[] = [];
    const url = new URL(request.url);
    const raw = url.pathname;
    if (raw.split("/").some((s) => s === ".." || s === "." || /^%2e/i.test(s) && s.length <= 6)) {
      problems.push(`path has a dot segment: ${raw}`);
    }
    if (url.search) problems.push(`unexpected query: ${url.search}`);
    const op = this.#operations.find((o) => o.method === request.method && o.pattern.test(raw));
    if (!op) return [...problems, `no ${this.name} operation for ${request.method} ${raw}`];
    const match = op.pattern.exec(raw)!;
    op.params.forEach((param, i) => {
      const segment = match[i + 1]!;
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        problems.push(`${param}: segment ${segment} does not decode`);
        return;
      }
      if (param in expected && decoded !== expected[param]) {
        problems.push(`${param}: segment decodes to ${JSON.stringify(decoded)}`);
      }
    });
    if (op.body) {
      const text = await request.clone().text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return [...problems, `body is not JSON: ${text.slice(0, 80)}`];
      }
      if (!op.body(json)) {
        problems.push(`body rejected by ${op.template}: ${JSON.stringify(op.body.errors)}`);
      }
      const type = request.headers.get("content-type") ?? "";
      if (!type.includes("application/json")) problems.push(`content-type ${type}`);
    }
    return problems;
  }

  /** Validates a bare body for `METHOD template` (for direct schema assertions). */
  validateBody(method: string, template: string, body: unknown): boolean {
    const op = this.#operations.find((o) => o.method === method && o.template === template);
    if (!op?.body) throw new Error(`no body schema for ${method} ${template}`);
    return op.body(body) as boolean;
  }
}
