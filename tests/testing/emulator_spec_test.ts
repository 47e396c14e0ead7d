// Every answer the emulator gives, in a run through every documented operation of both
// providers (errors included), validates against the merged spec's schema for that path,
// method and status, with no field the spec does not name; every request the SDK sends
// validates against the spec too. The specs come from the providers' docs (openapi/upstream),
// so the emulator is held to the providers' truth, not to the SDK's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { PrimeIntellect, RateLimitedError, Tensorlake } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";
import { SpecValidator, tighten as closed } from "../reliability/_spec_schemas.ts";

type Json = Record<string, unknown>;
type SpecName = "primeintellect" | "tensorlake";

interface ResponseCheck {
  pattern: RegExp;
  template: string;
  method: string;
  statuses: Map<string, ValidateFunction | null>;
}

function responseChecks(name: SpecName): ResponseCheck[] {
  const doc = parse(
    readFileSync(new URL(`../../openapi/${name}.yaml`, import.meta.url), "utf8"),
  ) as Json;
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  // Closed object schemas: a field the spec does not name fails.
  ajv.addSchema({ $id: "spec", components: closed(doc.components) });
  const out: ResponseCheck[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    for (const [method, op] of Object.entries(item)) {
      if (method === "parameters" || method === "servers") continue;
      const statuses = new Map<string, ValidateFunction | null>();
      for (const [status, response] of Object.entries((op as Json).responses as Json)) {
        const schema = (((response as Json).content as Json | undefined)?.["application/json"] as
          | Json
          | undefined)?.schema as { $ref?: string } | undefined;
        statuses.set(status, schema?.$ref ? ajv.compile({ $ref: `spec${schema.$ref}` }) : null);
      }
      out.push({ pattern, template, method: method.toUpperCase(), statuses });
    }
  }
  return out;
}

const CHECKS = {
  primeintellect: responseChecks("primeintellect"),
  tensorlake: responseChecks("tensorlake"),
};
const REQUESTS = {
  primeintellect: new SpecValidator("primeintellect"),
  tensorlake: new SpecValidator("tensorlake"),
};

test("every emulator answer validates against the spec; every SDK request too", async () => {
  const emulator = createEmulator({ maxPtySessions: 2 });
  const problems: string[] = [];
  const seen = new Set<string>();
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const name: SpecName = url.pathname.startsWith("/api/v1/pty") ? "tensorlake" : "primeintellect";
    if (url.pathname.startsWith("/gateway/")) return emulator.fetch(request);
    problems.push(...(await REQUESTS[name].check(request.clone())).map((p) => `request: ${p}`));
    const response = await emulator.fetch(request);
    const check = CHECKS[name].find((c) =>
      c.method === request.method && c.pattern.test(url.pathname)
    );
    if (!check) {
      problems.push(`no ${name} operation for ${request.method} ${url.pathname}`);
      return response;
    }
    const status = String(response.status);
    seen.add(`${check.method} ${check.template} ${status}`);
    const text = await response.clone().text();
    if (!check.statuses.has(status)) {
      // An error status the docs do not list (e.g. Prime's 404 for a gone exposure): the
      // SDK must cope with it, but there is no schema to hold it to.
      if (response.ok) problems.push(`${check.method} ${check.template}: undocumented ${status}`);
      return response;
    }
    const validate = check.statuses.get(status);
    if (validate === null) {
      if (text !== "") problems.push(`${check.method} ${check.template} ${status}: body ${text}`);
    } else if (!validate!(JSON.parse(text))) {
      problems.push(
        `${check.method} ${check.template} ${status}: ${
          JSON.stringify(validate!.errors)
        } in ${text}`,
      );
    }
    return response;
  };

  const prime = new PrimeIntellect({ apiKey: "k", fetch });
  const sandbox = prime.sandbox("sb-1");
  const web = await sandbox.exposePort({ port: 8000, name: "web" });
  const db = await sandbox.exposePort({ port: 5432, protocol: "tcp" });
  await prime.sandbox("sb-2").exposePort({ port: 3000 });
  await sandbox.listExposures();
  await prime.listAllExposures();
  await prime.client.GET("/api/v1/sandbox/{sandbox_id}", {
    params: { path: { sandbox_id: "sb-1" } },
  });
  const ssh = await sandbox.createSshSession({ ttlSeconds: 600 });
  await ssh.authorizeKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x me@laptop");
  await ssh.close();
  await web.unexpose();
  await db.unexpose();
  await sandbox.unexposePort(web.exposureId); // 404: already gone

  const tensorlake = new Tensorlake({ apiKey: "k", fetch });
  const tl = tensorlake.sandbox("my-sb");
  const one = await tl.createPty({ command: "bash", args: ["-l"], workingDir: "/work", rows: 40 });
  const two = await tl.createPty({ command: "sh" });
  await assert.rejects(tl.createPty({ command: "sh" }), RateLimitedError); // 429 TOO_MANY_SESSIONS
  await tl.listPtys();
  await tl.getPty(one.sessionId);
  await tl.resizePty(one.sessionId, { rows: 50, cols: 200 });
  await one.kill();
  await two.kill();
  await tl.killPty(one.sessionId); // 404
  await assert.rejects(tl.getPty(one.sessionId));

  assert.deepEqual(problems, []);
  for (
    const expected of [
      "POST /api/v1/sandbox/{sandbox_id}/expose 200",
      "GET /api/v1/sandbox/{sandbox_id}/expose 200",
      "GET /api/v1/sandbox/expose/all 200",
      "GET /api/v1/sandbox/{sandbox_id} 200",
      "DELETE /api/v1/sandbox/{sandbox_id}/expose/{exposure_id} 200",
      "POST /api/v1/sandbox/{sandbox_id}/ssh-session 200",
      "DELETE /api/v1/sandbox/{sandbox_id}/ssh-session/{session_id} 200",
      "POST /api/v1/pty 201",
      "POST /api/v1/pty 429",
      "GET /api/v1/pty 200",
      "GET /api/v1/pty/{session_id} 200",
      "GET /api/v1/pty/{session_id} 404",
      "POST /api/v1/pty/{session_id}/resize 204",
      "DELETE /api/v1/pty/{session_id} 204",
      "DELETE /api/v1/pty/{session_id} 404",
    ]
  ) assert.ok(seen.has(expected), `${expected} was exercised`);
});

test("the emulator's 422 and 400 answers validate too", async () => {
  const emulator = createEmulator();
  const prime = CHECKS.primeintellect.find((c) =>
    c.method === "POST" && c.template === "/api/v1/sandbox/{sandbox_id}/expose"
  )!;
  const res = await emulator.fetch(
    new Request("https://api.primeintellect.ai/api/v1/sandbox/sb/expose", {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ port: 1, protocol: "UDP" }),
    }),
  );
  assert.equal(res.status, 422);
  const body = await res.json();
  assert.ok(prime.statuses.get("422")!(body), JSON.stringify(prime.statuses.get("422")!.errors));
  assert.ok(JSON.stringify(body).includes("protocol"), "UDP is not a protocol Prime accepts");

  const tl = CHECKS.tensorlake.find((c) => c.method === "POST" && c.template === "/api/v1/pty")!;
  const bad = await emulator.fetch(
    new Request("https://my-sb.sandbox.tensorlake.ai/api/v1/pty", {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ command: "" }),
    }),
  );
  assert.equal(bad.status, 400);
  assert.ok(tl.statuses.get("400")!(await bad.json()));
});
