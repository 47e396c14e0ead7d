/**
 * Readable names for the generated request and response types.
 *
 * @module
 */
import type {
  components as PrimeComponents,
  paths as PrimePaths,
} from "./generated/primeintellect.ts";
import type {
  components as TensorlakeComponents,
  paths as TensorlakeGeneratedPaths,
} from "./generated/tensorlake.ts";

type PrimeSchemas = PrimeComponents["schemas"];
type TensorlakeSchemas = TensorlakeComponents["schemas"];

/** The Prime Intellect gateway paths, as generated from `openapi/primeintellect.yaml`. */
export type PrimeIntellectPaths = PrimePaths;
/** The Tensorlake PTY paths, as generated from `openapi/tensorlake.yaml`. */
export type TensorlakePaths = TensorlakeGeneratedPaths;

/** Body of `POST /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposePortRequest = PrimeSchemas["ExposePortRequest"];
/** Answer of `POST /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposePortResponse = PrimeSchemas["ExposePortResponse"];
/** One entry of `GET /api/v1/sandbox/{sandbox_id}/expose`. */
export type ExposedPortInfo = PrimeSchemas["ExposedPortInfo"];
/** Answer of `GET /api/v1/sandbox/{sandbox_id}/expose`. */
export type ListExposedPortsResponse = PrimeSchemas["ListExposedPortsResponse"];
/** Answer of unexpose and close-SSH-session. */
export type UnexposePortResponse = PrimeSchemas["UnexposePortResponse"];
/** Body of `POST /api/v1/sandbox/{sandbox_id}/ssh-session`. */
export type CreateSSHSessionRequest = PrimeSchemas["CreateSSHSessionRequest"];
/** Answer of `POST /api/v1/sandbox/{sandbox_id}/ssh-session`. */
export type SSHSessionResponse = PrimeSchemas["SSHSessionResponse"];
/** Prime Intellect 422 body. */
export type ErrorResponse = PrimeSchemas["ErrorResponse"];
/** One entry of {@link ErrorResponse}. */
export type ErrorDetail = PrimeSchemas["ErrorDetail"];

/** Body of `POST /api/v1/pty`. */
export type CreatePtyRequest = TensorlakeSchemas["CreatePtyRequest"];
/** Answer of `POST /api/v1/pty`. */
export type CreatePtyResponse = TensorlakeSchemas["CreatePtyResponse"];
/** Body of `POST /api/v1/pty/{session_id}/resize`. */
export type ResizePtyRequest = TensorlakeSchemas["ResizePtyRequest"];
/** Answer of `GET /api/v1/pty/{session_id}`. */
export type PtySessionInfo = TensorlakeSchemas["PtySessionInfo"];
/** Answer of `GET /api/v1/pty`. */
export type ListPtyResponse = TensorlakeSchemas["ListPtyResponse"];
/** Tensorlake sandbox proxy error body. */
export type SandboxProxyError = TensorlakeSchemas["SandboxProxyError"];
