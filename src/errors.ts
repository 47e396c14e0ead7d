/**
 * The error classes sandgate throws, one per file under `errors/` (as ky
 * splits its errors). Every error is a {@link SandgateError}; HTTP failures
 * are {@link ApiError} subclasses chosen by status code.
 *
 * Messages are one readable line and never contain an API key or token.
 *
 * @module
 */
export { type Provider, providerName } from "./provider.ts";
export { describeValue, oneLine } from "./errors/_private.ts";
export { isSandgateError, SandgateError } from "./errors/sandgate_error.ts";
export { ConfigError } from "./errors/config_error.ts";
export { MissingApiKeyError } from "./errors/missing_api_key_error.ts";
export { InvalidArgumentError } from "./errors/invalid_argument_error.ts";
export { TimeoutError } from "./errors/timeout_error.ts";
export { NetworkError } from "./errors/network_error.ts";
export { PtyDisconnectedError } from "./errors/pty_disconnected_error.ts";
export { RateLimitStoreError } from "./errors/rate_limit_store_error.ts";
export { UnsupportedRuntimeError } from "./errors/unsupported_runtime_error.ts";
export {
  UnexpectedResponseError,
  type UnexpectedResponseErrorOptions,
} from "./errors/unexpected_response_error.ts";
export {
  ApiError,
  type ApiErrorDetail,
  type ApiErrorInit,
  type ErrorSource,
  isApiError,
} from "./errors/api_error.ts";
export { AuthenticationError } from "./errors/authentication_error.ts";
export { ForbiddenError } from "./errors/forbidden_error.ts";
export { NotFoundError } from "./errors/not_found_error.ts";
export { ValidationError } from "./errors/validation_error.ts";
export { RateLimitedError } from "./errors/rate_limited_error.ts";
export { ServerError } from "./errors/server_error.ts";
export { createApiError } from "./errors/create_api_error.ts";
