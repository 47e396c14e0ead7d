import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError,
  AuthenticationError,
  type Clock,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  UnexpectedResponseError,
  ValidationError,
} from "../../mod.ts";
import {
  exposeBody,
  prime,
  PTY_TOKEN,
  ptyInfoBody,
  recordingFetch,
  SSH_TOKEN,
  sshBody,
  tensorlake,
} from "../helpers/fake_fetch.ts";

// Prime Intellect: 401 has no body in the spec; 422 is an ErrorResponse.
const PRIME_ERRORS: [number, unknown, new (...args: never[]) => ApiError, RegExp][] = [
  [401, undefined, AuthenticationError, /Prime Intellect exposePort failed: 401/],
  [
    422,
    { errors: [{ param: "port", details: "Port must be between 22 and 9000" }] },
    ValidationError,
    /exposePort failed: 422 port: Port must be between 22 and 9000/,
  ],
  [404, { detail: "Sandbox not found" }, NotFoundError, /exposePort failed: 404 Sandbox not found/],
  [500, { detail: "Internal Server Error" }, ServerError, /failed: 500 Internal Server Error/],
  [500, "<html>502 Bad Gateway</html>", ServerError, /failed: 500 <html>502 Bad Gateway<\/html>/],
];

for (const [status, body, type, message] of PRIME_ERRORS) {
  test(`Prime Intellect ${status} ${typeof body} body → ${type.name}`, async () => {
    const { fetch } = recordingFetch(() =>
      body === undefined
        ? new Response(null, { status })
        : typeof body === "string"
        ? new Response(body, { status })
        : Response.json(body, { status })
    );
    await assert.rejects(prime(fetch).sandbox("sb-1").exposePort({ port: 8000 }), (error) => {
      assert.ok(error instanceof type, String(error));
      assert.equal((error as ApiError).status, status);
      assert.equal((error as ApiError).provider, "primeintellect");
      assert.equal((error as ApiError).operation, "exposePort");
      assert.match((error as ApiError).message, message);
      assert.ok(!(error as ApiError).message.includes("test-api-key"));
      return true;
    });
  });
}

test("a 422 keeps every ErrorResponse detail", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({
      errors: [
        { param: "ttl_seconds", details: "must be at most 3600" },
        { param: "sandbox_id", details: "unknown sandbox" },
      ],
    }, { status: 422 })
  );
  await assert.rejects(prime(fetch).sandbox("sb-1").createSshSession(), (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.deepEqual(error.errors, [
      { param: "ttl_seconds", details: "must be at most 3600" },
      { param: "sandbox_id", details: "unknown sandbox" },
    ]);
    assert.match(error.message, /ttl_seconds: must be at most 3600; sandbox_id: unknown sandbox/);
    return true;
  });
});

// Tensorlake: every error is a SandboxProxyError { error, code? }.
const TENSORLAKE_ERRORS: [number, new (...args: never[]) => ApiError][] = [
  [401, AuthenticationError],
  [400, ValidationError],
  [404, NotFoundError],
  [500, ServerError],
];

for (const [status, type] of TENSORLAKE_ERRORS) {
  test(`Tensorlake ${status} SandboxProxyError → ${type.name} with code`, async () => {
    const { fetch } = recordingFetch(() =>
      Response.json({ error: `failure ${status}`, code: `CODE_${status}` }, { status })
    );
    await assert.rejects(tensorlake(fetch).sandbox("my-sb").getPty("pty-1"), (error) => {
      assert.ok(error instanceof type, String(error));
      assert.equal((error as ApiError).code, `CODE_${status}`);
      assert.equal((error as ApiError).operation, "getPty");
      assert.match(
        (error as ApiError).message,
        new RegExp(`Tensorlake getPty failed: ${status} failure ${status} \\(CODE_${status}\\)`),
      );
      return true;
    });
  });
}

test("a 429 carries Retry-After in milliseconds and the request id", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({ error: "slow down" }, {
      status: 429,
      headers: { "retry-after": "7", "x-request-id": "req-1" },
    })
  );
  await assert.rejects(tensorlake(fetch).sandbox("my-sb").listPtys(), (error: unknown) => {
    assert.ok(error instanceof RateLimitedError);
    assert.equal(error.retryAfterMs, 7000);
    assert.equal(error.requestId, "req-1");
    return true;
  });
});

const MALFORMED: [string, () => Response, RegExp][] = [
  [
    "a missing url",
    () => {
      const body: Record<string, unknown> = exposeBody();
      delete body.url;
      return Response.json(body);
    },
    /Prime Intellect exposePort: response\.url is missing/,
  ],
  [
    "a mistyped port",
    () => Response.json(exposeBody({ port: "8000" })),
    /exposePort: response\.port must be an integer \(got string\)/,
  ],
  [
    "a mistyped optional field",
    () => Response.json(exposeBody({ external_port: "x" })),
    /response\.external_port must be an integer/,
  ],
  [
    "an array",
    () => Response.json([exposeBody()]),
    /response must be a JSON object \(got an array\)/,
  ],
  [
    "an empty body",
    () => new Response("", { status: 200 }),
    /response must be a JSON object \(got nothing\)/,
  ],
  [
    "HTML",
    () => new Response("<html>oops</html>"),
    /exposePort: the response body is not valid JSON/,
  ],
  ["truncated JSON", () => new Response('{"exposure_id": "e'), /not valid JSON/],
];

for (const [name, respond, message] of MALFORMED) {
  test(`a success body with ${name} is an UnexpectedResponseError`, async () => {
    const { fetch } = recordingFetch(respond);
    await assert.rejects(prime(fetch).sandbox("sb-1").exposePort({ port: 8000 }), (error) => {
      assert.ok(error instanceof UnexpectedResponseError, String(error));
      assert.match((error as Error).message, message);
      return true;
    });
  });
}

test("malformed list entries are named by index", async () => {
  const { fetch } = recordingFetch(() =>
    Response.json({ sessions: [ptyInfoBody(), ptyInfoBody({ rows: null })] })
  );
  await assert.rejects(
    tensorlake(fetch).sandbox("my-sb").listPtys(),
    /Tensorlake listPtys: response\.sessions\[1\]\.rows is missing/,
  );
  const { fetch: fetch2 } = recordingFetch(() => Response.json({ exposures: null }));
  await assert.rejects(
    prime(fetch2).sandbox("sb-1").listExposures(),
    /listExposures: response\.exposures must be an array \(got null\)/,
  );
});

test("a mistyped token is reported by type, never by value", async () => {
  const { fetch } = recordingFetch(() => Response.json(sshBody({ expires_at: SSH_TOKEN })));
  await assert.rejects(prime(fetch).sandbox("sb-1").createSshSession(), (error: unknown) => {
    assert.ok(error instanceof UnexpectedResponseError);
    assert.match(error.message, /response\.expires_at must be a date-time \(got string\)/);
    assert.ok(!error.message.includes(SSH_TOKEN));
    return true;
  });
  const { fetch: fetch2 } = recordingFetch(() =>
    Response.json({ session_id: PTY_TOKEN, token: 5 }, { status: 201 })
  );
  await assert.rejects(
    tensorlake(fetch2).sandbox("my-sb").createPty({ command: "sh" }),
    (error: unknown) =>
      error instanceof UnexpectedResponseError && /response\.token must be a string/.test(
        error.message,
      ) && !error.message.includes(PTY_TOKEN),
  );
});

test("a cleanup answer without the promised fields is an UnexpectedResponseError", async () => {
  const { fetch } = recordingFetch(() => Response.json({ ok: true }));
  await assert.rejects(
    prime(fetch).sandbox("sb-1").unexposePort("exp-1"),
    /unexposePort: response\.success is missing/,
  );
});

test("a fetch that rejects surfaces as a NetworkError", async () => {
  const fetch = () => Promise.reject(new TypeError("fetch failed: ECONNREFUSED"));
  await assert.rejects(prime(fetch).sandbox("sb-1").listExposures(), NetworkError);
});

test("a per-call timeoutMs aborts the call with a TimeoutError naming the operation", async () => {
  let fire: (() => void) | undefined;
  const clock: Clock = {
    now: () => 0,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        if (ms === 50) fire = resolve;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
  let seen: Request | undefined;
  const fetch = (request: Request) =>
    new Promise<Response>((_resolve, reject) => {
      seen = request;
      request.signal.addEventListener("abort", () => reject(request.signal.reason));
      fire?.(); // the per-call budget runs out while the request is in flight
    });
  await assert.rejects(
    prime(fetch, { clock }).sandbox("sb-1").listExposures({ timeoutMs: 50 }),
    (error: unknown) =>
      error instanceof TimeoutError && error.timeoutMs === 50 &&
      /listExposures/.test(error.message),
  );
  assert.ok(seen?.signal.aborted);
});

test("an aborted signal rejects with its reason", async () => {
  const { fetch } = recordingFetch(() => Response.json({ sessions: [] }));
  const controller = new AbortController();
  const reason = new Error("user gave up");
  controller.abort(reason);
  await assert.rejects(
    tensorlake(fetch).sandbox("my-sb").listPtys({ signal: controller.signal }),
    (error: unknown) => error === reason,
  );
});

test("UnexpectedResponseError.createdId: the id a create named, undefined otherwise", () => {
  const plain = new UnexpectedResponseError("listPtys: .ptys must be an array");
  assert.equal(plain.createdId, undefined);
  const cause = new Error("shape");
  const created = new UnexpectedResponseError("exposePort: bad; could not be removed", {
    cause,
    createdId: "exp-9",
  });
  assert.equal(created.createdId, "exp-9");
  assert.equal(created.cause, cause);
  assert.equal(created.name, "UnexpectedResponseError");
  // A public, enumerable field: it survives JSON (an id, never a secret).
  assert.equal(JSON.parse(JSON.stringify(created)).createdId, "exp-9");
});
