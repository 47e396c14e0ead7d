/**
 * Prime Intellect gateway endpoints: expose / list / unexpose ports and
 * create / close SSH sessions, answering as `openapi/primeintellect.yaml` says.
 *
 * Error bodies the spec leaves open use FastAPI's `{ "detail": "..." }`:
 * 401 `{"detail":"Unauthorized"}`, 404 `{"detail":"Sandbox not found"}`,
 * `{"detail":"Exposure not found"}`, `{"detail":"SSH session not found"}`.
 *
 * @module
 */
import {
  isInteger,
  iso,
  isObject,
  json,
  primeError,
  primeValidation,
  randomToken,
  readJson,
} from "./http.ts";
import { RESERVED_PORTS } from "../primeintellect/validate.ts";
import {
  closeSshSession,
  type EmulatorState,
  type Exposure,
  removeExposure,
  type Sandbox,
} from "./state.ts";

/** Host names the emulator hands out; `.invalid` never resolves. */
export const EMULATOR_DOMAIN = "emulator.sandgate.invalid";

const DEFAULT_SSH_TTL = 900;
// HTTP or TCP: PrimeIntellect-ai/prime models.py and CLI commands/sandbox.py@66fb4b7.
const PROTOCOLS = new Set(["HTTP", "TCP"]);

/** What a Prime Intellect route needs. */
export interface PrimeContext {
  request: Request;
  state: EmulatorState;
  sandbox: Sandbox;
  now: number;
  gatewayUrl: string;
  /** Opens a real TCP endpoint for a new SSH session (served emulator only). */
  sshEndpoint?:
    | ((sessionId: string, ttlMs: number) => Promise<{ host: string; port: number }>)
    | undefined;
  /** The URL of a new HTTP exposure when the served emulator has one for it (a service on its port). */
  exposureUrl?: ((exposureId: string, port: number) => string | undefined) | undefined;
  /** Opens a loopback listener standing for a new TCP exposure (served emulator only). */
  tcpEndpoint?:
    | ((exposureId: string, port: number) => Promise<{ host: string; port: number }>)
    | undefined;
}

type Detail = { param: string; details: string };

function hostLabel(value: string): string {
  const label = value.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "");
  return label.slice(0, 40) || "sandbox";
}

function exposureInfo(e: Exposure) {
  return {
    exposure_id: e.exposureId,
    sandbox_id: e.sandboxId,
    port: e.port,
    name: e.name,
    protocol: e.protocol,
    url: e.url,
    tls_socket: e.tlsSocket,
    external_port: e.externalPort,
    external_endpoint: e.externalEndpoint,
  };
}

function checkInteger(
  errors: Detail[],
  param: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (!isInteger(value)) {
    errors.push({ param, details: "Input should be a valid integer" });
  } else if (value < min) {
    errors.push({ param, details: `Input should be greater than or equal to ${min}` });
  } else if (value > max) {
    errors.push({ param, details: `Input should be less than or equal to ${max}` });
  }
}

/**
 * `GET /api/v1/sandbox/{sandbox_id}`: the sandbox with the fields
 * https://docs.primeintellect.ai/api-reference/sandbox/get-sandbox-endpoint lists
 * and PrimeIntellect-ai/prime `models.py`@66fb4b7 (`Sandbox`) reads, among them the
 * `status` and `vm` their SDK's VM guard and their CLI's `ssh` check. Values the
 * emulator has no notion of (image, resources) are fixed placeholders.
 */
export function getSandbox(ctx: PrimeContext): Response {
  const { sandbox } = ctx;
  const created = iso(sandbox.createdAt);
  const running = sandbox.status === "RUNNING";
  const ended = ["TERMINATED", "ERROR", "TIMEOUT"].includes(sandbox.status);
  return json({
    id: sandbox.id,
    name: sandbox.id,
    dockerImage: "python:3.11-slim",
    startCommand: "tail -f /dev/null",
    cpuCores: 1,
    memoryGB: 2,
    diskSizeGB: 10,
    diskMountPath: "/sandbox-workspace",
    gpuCount: 0,
    networkAccess: true,
    status: sandbox.status,
    timeoutMinutes: 60,
    environmentVars: null,
    advancedConfigs: null,
    createdAt: created,
    updatedAt: created,
    startedAt: running || ended ? created : null,
    terminatedAt: ended ? created : null,
    exitCode: null,
    userId: null,
    teamId: null,
    kubernetesJobId: sandbox.jobId,
    vm: sandbox.vm,
    labels: [],
  });
}

/** `POST /api/v1/sandbox/{sandbox_id}/expose`. */
export async function exposePort(ctx: PrimeContext): Promise<Response> {
  const body = await readJson(ctx.request);
  if (!body.ok) return primeValidation([{ param: "body", details: body.reason }]);
  if (!isObject(body.value)) {
    return primeValidation([{ param: "body", details: "Input should be a valid dictionary" }]);
  }
  const { port, name = null, protocol = "HTTP" } = body.value;
  const errors: Detail[] = [];
  if (port === undefined) errors.push({ param: "port", details: "Field required" });
  else checkInteger(errors, "port", port, 22, 9000);
  // RESERVED_PORTS: Prime does not expose them (docs.primeintellect.ai/sandboxes/cli, "Expose
  // Ports"). Their answer is undocumented: assumed a 422 `ErrorResponse` on `port`, like the range.
  if (RESERVED_PORTS.includes(port as number)) {
    errors.push({ param: "port", details: `Port ${port} cannot be exposed (reserved)` });
  }
  if (name !== null && typeof name !== "string") {
    errors.push({ param: "name", details: "Input should be a valid string" });
  } else if (typeof name === "string" && name.length > 50) {
    errors.push({ param: "name", details: "String should have at most 50 characters" });
  }
  if (typeof protocol !== "string" || !PROTOCOLS.has(protocol.toUpperCase())) {
    errors.push({ param: "protocol", details: "Input should be 'HTTP' or 'TCP'" });
  }
  if (errors.length > 0) return primeValidation(errors);

  const proto = (protocol as string).toUpperCase();
  const portNumber = port as number;
  const exposureId = ctx.state.id("exp-");
  const label = `${portNumber}-${hostLabel(ctx.sandbox.id)}`;
  // HTTP exposures get a URL of their own; TCP ones an external port on a shared host.
  let endpoint: Pick<Exposure, "url" | "tlsSocket" | "externalPort" | "externalEndpoint">;
  const served = proto === "HTTP" ? ctx.exposureUrl?.(exposureId, portNumber) : undefined;
  if (served) {
    endpoint = {
      url: served,
      tlsSocket: new URL(served).host,
      externalPort: null,
      externalEndpoint: null,
    };
  } else if (proto === "HTTP") {
    const host = `${label}.${EMULATOR_DOMAIN}`;
    endpoint = {
      url: `https://${host}`,
      tlsSocket: `${host}:443`,
      externalPort: null,
      externalEndpoint: null,
    };
  } else {
    // Served over HTTP, the endpoint is a loopback listener relaying to the declared service.
    const { host, port: externalPort } = ctx.tcpEndpoint
      ? await ctx.tcpEndpoint(exposureId, portNumber)
      : { host: `tcp.${EMULATOR_DOMAIN}`, port: ctx.state.externalPort() };
    const address = `${host}:${externalPort}`;
    endpoint = {
      url: `${proto.toLowerCase()}://${address}`,
      tlsSocket: address,
      externalPort,
      externalEndpoint: address,
    };
  }
  const exposure: Exposure = {
    exposureId,
    sandboxId: ctx.sandbox.id,
    port: portNumber,
    name: name as string | null,
    protocol: proto,
    ...endpoint,
    createdAt: ctx.now,
    sshSessionId: null,
  };
  ctx.sandbox.exposures.set(exposureId, exposure);
  return json(exposureInfo(exposure));
}

/** `GET /api/v1/sandbox/{sandbox_id}/expose`. */
export function listExposures(ctx: PrimeContext): Response {
  const exposures = [...ctx.sandbox.exposures.values()].map((e) => ({
    ...exposureInfo(e),
    created_at: iso(e.createdAt),
  }));
  return json({ exposures });
}

/**
 * `GET /api/v1/sandbox/expose/all`: every exposure of every sandbox
 * (https://docs.primeintellect.ai/api-reference/sandbox/list-all-exposed-ports-endpoint).
 */
export function listAllExposures(state: EmulatorState): Response {
  const exposures = [...state.sandboxes.values()].flatMap((sandbox) =>
    [...sandbox.exposures.values()].map((e) => ({
      ...exposureInfo(e),
      created_at: iso(e.createdAt),
    }))
  );
  return json({ exposures });
}

/** `DELETE /api/v1/sandbox/{sandbox_id}/expose/{exposure_id}`. */
export function unexposePort(ctx: PrimeContext, exposureId: string): Response {
  if (!removeExposure(ctx.sandbox, exposureId)) return primeError(404, "Exposure not found");
  return json({ success: true, message: `Exposure ${exposureId} removed` });
}

/** `POST /api/v1/sandbox/{sandbox_id}/ssh-session`. */
export async function createSshSession(ctx: PrimeContext): Promise<Response> {
  const body = await readJson(ctx.request);
  if (!body.ok) return primeValidation([{ param: "body", details: body.reason }]);
  if (!isObject(body.value)) {
    return primeValidation([{ param: "body", details: "Input should be a valid dictionary" }]);
  }
  const ttl = body.value.ttl_seconds ?? DEFAULT_SSH_TTL;
  const errors: Detail[] = [];
  checkInteger(errors, "ttl_seconds", ttl, 1, 3600);
  if (errors.length > 0) return primeValidation(errors);
  const ttlSeconds = ttl as number;

  const sessionId = ctx.state.id("ssh-");
  const exposureId = ctx.state.id("exp-");
  // Served over HTTP, a session gets a loopback port that accepts connections.
  const { host, port: externalPort } = ctx.sshEndpoint
    ? await ctx.sshEndpoint(sessionId, ttlSeconds * 1000)
    : { host: `ssh.${EMULATOR_DOMAIN}`, port: ctx.state.externalPort() };
  const endpoint = `${host}:${externalPort}`;
  ctx.sandbox.exposures.set(exposureId, {
    exposureId,
    sandboxId: ctx.sandbox.id,
    port: 22,
    name: `ssh-${sessionId}`.slice(0, 50),
    protocol: "TCP",
    url: `tcp://${endpoint}`,
    tlsSocket: endpoint,
    externalPort,
    externalEndpoint: endpoint,
    createdAt: ctx.now,
    sshSessionId: sessionId,
  });
  const session = {
    sessionId,
    exposureId,
    sandboxId: ctx.sandbox.id,
    host,
    port: externalPort,
    expiresAt: ctx.now + ttlSeconds * 1000,
    ttlSeconds,
    userNs: "emulator",
    jobId: ctx.sandbox.jobId,
    token: randomToken(),
    authorizedKeys: [],
  };
  ctx.sandbox.sshSessions.set(sessionId, session);
  return json({
    session_id: sessionId,
    exposure_id: exposureId,
    sandbox_id: ctx.sandbox.id,
    host,
    port: externalPort,
    external_endpoint: endpoint,
    expires_at: iso(session.expiresAt),
    ttl_seconds: ttlSeconds,
    gateway_url: ctx.gatewayUrl,
    user_ns: session.userNs,
    job_id: session.jobId,
    token: session.token,
  });
}

/** `DELETE /api/v1/sandbox/{sandbox_id}/ssh-session/{session_id}`. */
export function closeSession(ctx: PrimeContext, sessionId: string): Response {
  if (!closeSshSession(ctx.sandbox, sessionId)) return primeError(404, "SSH session not found");
  return json({ success: true, message: `SSH session ${sessionId} closed` });
}
