import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError,
  AuthenticationError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  ValidationError,
} from "../../mod.ts";
import { createApiError } from "../../src/errors.ts";

test("one readable line: provider, operation, status, details, request id", () => {
  const error = createApiError({
    status: 422,
    provider: "primeintellect",
    operation: "exposePort",
    headers: new Headers({ "x-request-id": "req-42" }),
    body: { errors: [{ param: "port", details: "must be ≤ 9000" }] },
  });
  assert.ok(error instanceof ValidationError);
  assert.equal(
    error.message,
    "Prime Intellect exposePort failed: 422 port: must be ≤ 9000 (request id req-42)",
  );
  assert.equal(error.requestId, "req-42");
  assert.deepEqual(error.errors, [{ param: "port", details: "must be ≤ 9000" }]);
});

test("Tensorlake SandboxProxyError bodies give the message and the code", () => {
  const error = createApiError({
    status: 404,
    provider: "tensorlake",
    operation: "killPty",
    body: { error: "session not found", code: "not_found" },
  });
  assert.ok(error instanceof NotFoundError);
  assert.equal(error.code, "not_found");
  assert.equal(error.message, "Tensorlake killPty failed: 404 session not found (not_found)");
});

test("the subclass follows the status", () => {
  const kind = (status: number) =>
    createApiError({ status, provider: "tensorlake", operation: "getPty" }).constructor;
  assert.equal(kind(401), AuthenticationError);
  assert.equal(kind(403), ForbiddenError);
  assert.equal(kind(404), NotFoundError);
  assert.equal(kind(400), ValidationError);
  assert.equal(kind(429), RateLimitedError);
  assert.equal(kind(500), ServerError);
  assert.equal(kind(503), ServerError);
  assert.equal(kind(409), ApiError);
});

test("Retry-After is read from the headers when not given", () => {
  const error = createApiError({
    status: 429,
    provider: "primeintellect",
    operation: "exposePort",
    headers: new Headers({ "retry-after": "7" }),
  });
  assert.equal(error.retryAfterMs, 7_000);
});

test("empty, non-JSON and huge bodies still give a useful, bounded error", () => {
  const empty = createApiError({
    status: 502,
    provider: "primeintellect",
    operation: "exposePort",
  });
  assert.equal(empty.message, "Prime Intellect exposePort failed: 502");

  const html = createApiError({
    status: 502,
    provider: "primeintellect",
    operation: "exposePort",
    body: "<html>\n<body>Bad gateway</body>\n</html>",
  });
  assert.equal(
    html.message,
    "Prime Intellect exposePort failed: 502 <html> <body>Bad gateway</body> </html>",
  );

  const huge = createApiError({
    status: 500,
    provider: "primeintellect",
    operation: "exposePort",
    body: "x".repeat(100_000),
  });
  assert.ok(huge.message.length < 300, `message is ${huge.message.length} characters`);
  assert.ok(typeof huge.body === "string" && huge.body.length < 600);
  assert.match(huge.body as string, /more characters\)$/);
});

test("a server echoing the bearer token does not put it into the error", () => {
  const error = createApiError({
    status: 400,
    provider: "primeintellect",
    operation: "exposePort",
    body: "bad header: Authorization: Bearer sk-live-echoed-secret-123",
  });
  assert.ok(!error.message.includes("sk-live-echoed-secret-123"));
  assert.ok(!String(error.body).includes("sk-live-echoed-secret-123"));
  assert.match(error.message, /Bearer \[redacted\]/);
});
