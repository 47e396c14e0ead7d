/**
 * Picks the {@link ApiError} subclass for an HTTP status (internal).
 *
 * @module
 */
import { ApiError, type ApiErrorInit } from "./api_error.ts";
import { AuthenticationError } from "./authentication_error.ts";
import { ForbiddenError } from "./forbidden_error.ts";
import { NotFoundError } from "./not_found_error.ts";
import { RateLimitedError } from "./rate_limited_error.ts";
import { ServerError } from "./server_error.ts";
import { ValidationError } from "./validation_error.ts";

/** Builds the {@link ApiError} subclass that matches `init.status` (internal). */
export function createApiError(init: ApiErrorInit): ApiError {
  const { status } = init;
  if (status === 401) return new AuthenticationError(init);
  if (status === 403) return new ForbiddenError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 400 || status === 422) return new ValidationError(init);
  if (status === 429) return new RateLimitedError(init);
  if (status >= 500) return new ServerError(init);
  return new ApiError(init);
}
