/**
 * The wire types: readable names for the generated (snake_case) request and
 * response bodies of both providers' OpenAPI specs, and the generated
 * `paths` / `components` / `operations`. Entry `sandgate/types` (JSR
 * `@sandgate/sdk/types`); the root entry has the camelCase high-level types.
 *
 * @example Type a raw low-level response
 * ```ts
 * import { createPrimeIntellectClient } from "@sandgate/sdk";
 * import type { ExposePortResponse } from "@sandgate/sdk/types";
 * import { createEmulator } from "@sandgate/sdk/testing";
 *
 * const client = createPrimeIntellectClient({ apiKey: "demo", fetch: createEmulator().fetch });
 * const { data } = await client.POST("/api/v1/sandbox/{sandbox_id}/expose", {
 *   params: { path: { sandbox_id: "sb-1" } },
 *   body: { port: 8000 },
 * });
 * const body: ExposePortResponse | undefined = data;
 * console.log(body?.tls_socket);
 * ```
 *
 * @module
 */
import type { components as PrimeIntellectComponents } from "./generated/primeintellect.ts";
import type { components as TensorlakeComponents } from "./generated/tensorlake.ts";

export type {
  components as PrimeIntellectComponents,
  operations as PrimeIntellectOperations,
  paths as PrimeIntellectPaths,
} from "./generated/primeintellect.ts";
export type {
  components as TensorlakeComponents,
  operations as TensorlakeOperations,
  paths as TensorlakePaths,
} from "./generated/tensorlake.ts";
/** The typed openapi-fetch client type, re-exported for annotations. */
export type { Client } from "openapi-fetch";

/** Body of `POST /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposePortRequest = PrimeIntellectComponents["schemas"]["ExposePortRequest"];
/** Answer of `POST /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposePortResponse = PrimeIntellectComponents["schemas"]["ExposePortResponse"];
/** One entry of `GET /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposedPortInfo = PrimeIntellectComponents["schemas"]["ExposedPortInfo"];
/** Answer of `GET /api/v1/sandbox/{sandbox_id}/expose`. */
export type ListExposedPortsResponse =
  PrimeIntellectComponents["schemas"]["ListExposedPortsResponse"];
/** Answer of unexpose and close-SSH-session. */
export type UnexposePortResponse = PrimeIntellectComponents["schemas"]["UnexposePortResponse"];
/** Body of `POST /api/v1/sandbox/{sandbox_id}/ssh-session`. */
export type CreateSSHSessionRequest =
  PrimeIntellectComponents["schemas"]["CreateSSHSessionRequest"];
/** Answer of `POST /api/v1/sandbox/{sandbox_id}/ssh-session`. */
export type SSHSessionResponse = PrimeIntellectComponents["schemas"]["SSHSessionResponse"];
/** Answer of `GET /api/v1/sandbox/{sandbox_id}`. */
export type SandboxResponse = PrimeIntellectComponents["schemas"]["SandboxResponse"];
/** Prime Intellect 422 body. */
export type ErrorResponse = PrimeIntellectComponents["schemas"]["ErrorResponse"];
/** One entry of {@link ErrorResponse}. */
export type ErrorDetail = PrimeIntellectComponents["schemas"]["ErrorDetail"];

/** Body of `POST /api/v1/pty`. */
export type CreatePtyRequest = TensorlakeComponents["schemas"]["CreatePtyRequest"];
/** Answer of `POST /api/v1/pty`. */
export type CreatePtyResponse = TensorlakeComponents["schemas"]["CreatePtyResponse"];
/** Body of `POST /api/v1/pty/{session_id}/resize`. */
export type ResizePtyRequest = TensorlakeComponents["schemas"]["ResizePtyRequest"];
/** Answer of `GET /api/v1/pty/{session_id}`. */
export type PtySessionInfo = TensorlakeComponents["schemas"]["PtySessionInfo"];
/** Answer of `GET /api/v1/pty`. */
export type ListPtyResponse = TensorlakeComponents["schemas"]["ListPtyResponse"];
/** Tensorlake sandbox proxy error body. */
export type SandboxProxyError = TensorlakeComponents["schemas"]["SandboxProxyError"];
