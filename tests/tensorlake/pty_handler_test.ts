// createPtyHandler: the server half of a web terminal hands a page the session id and token,
// never the API key or upstream text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPtyHandler, InvalidArgumentError, Tensorlake } from "../../mod.ts";
import { createEmulator } from "../../src/testing/mod.ts";

const KEY = "tl_apiKey_server_only_secret";

function setup() {
  const emulator = createEmulator();
  const tensorlake = new Tensorlake({
    apiKey: KEY,
    fetch: emulator.fetch,
    webSocket: emulator.webSocket,
  });
  return { emulator, sandbox: tensorlake.sandbox("my-sandbox") };
}

const post = (body: string | null = null) =>
  new Request("http://app.test/pty", { method: "POST", body });

test("POST creates a PTY and answers only { sessionId, token }, not cached; the token attaches", async () => {
  const { sandbox } = setup();
  const handler = createPtyHandler({ sandbox, pty: { command: "bash", cols: 100, rows: 30 } });
  const response = await handler(post());
  assert.equal(response.status, 201);
  assert.equal(response.headers.get("cache-control"), "no-store");
  const text = await response.text();
  assert.doesNotMatch(text, new RegExp(KEY));
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body).sort(), ["sessionId", "token"]);
  const info = await sandbox.getPty(body.sessionId);
  assert.deepEqual({ cols: info.cols, rows: info.rows, command: info.command }, {
    cols: 100,
    rows: 30,
    command: "bash",
  });
  await using connection = await sandbox.attachPty(body.sessionId, body.token);
  await connection.input.getWriter().write("exit 4\n");
  assert.deepEqual(await connection.exit, { kind: "exited", exitCode: 4 });
});

test("the PTY options may depend on the request; authorize can refuse (403, nothing created)", async () => {
  const { sandbox } = setup();
  const handler = createPtyHandler({
    sandbox,
    pty: async (request) => ({ command: (await request.text()) || "sh" }),
    authorize: (request) => request.headers.get("cookie") === "session=ok",
  });
  const refused = await handler(post("python3"));
  assert.equal(refused.status, 403);
  assert.deepEqual(await sandbox.listPtys(), []);
  const accepted = await handler(
    new Request("http://app.test/pty", {
      method: "POST",
      body: "python3",
      headers: { cookie: "session=ok" },
    }),
  );
  assert.equal(accepted.status, 201);
  assert.deepEqual((await sandbox.listPtys()).map((p) => p.command), ["python3"]);
});

test("other methods get 405 with Allow: POST, and create nothing", async () => {
  const { sandbox } = setup();
  const handler = createPtyHandler({ sandbox, pty: { command: "bash" } });
  const response = await handler(new Request("http://app.test/pty"));
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "POST");
  assert.deepEqual(await sandbox.listPtys(), []);
});

test("a failed create is a 502 with the error's name and code only, no upstream text", async () => {
  const handler = createPtyHandler({
    sandbox: {
      createPty: () => {
        const error = new Error(`upstream said \x1b]52;c;ZXZpbA==\x07 with key ${KEY}`);
        Object.assign(error, { name: "RateLimitedError", code: "TOO_MANY_SESSIONS" });
        return Promise.reject(error);
      },
    },
    pty: { command: "bash" },
  });
  const response = await handler(post());
  assert.equal(response.status, 502);
  assert.deepEqual(await response.json(), {
    error: "could not create the terminal (RateLimitedError)",
    code: "TOO_MANY_SESSIONS",
  });
  const odd = createPtyHandler({
    sandbox: {
      createPty: () => Promise.reject(Object.assign(new Error("x"), { code: "a b\x1b" })),
    },
    pty: { command: "bash" },
  });
  assert.deepEqual(await (await odd(post())).json(), {
    error: "could not create the terminal (Error)",
  });
});

test("bad options are InvalidArgumentErrors naming the field", () => {
  const field = (name: string) => (error: unknown) =>
    error instanceof InvalidArgumentError && error.message.includes(name);
  assert.throws(() => createPtyHandler(undefined as never), field("options"));
  assert.throws(
    () => createPtyHandler({ sandbox: {} as never, pty: { command: "sh" } }),
    field("options.sandbox"),
  );
  const { sandbox } = setup();
  assert.throws(() => createPtyHandler({ sandbox, pty: 3 as never }), field("options.pty"));
  assert.throws(
    () => createPtyHandler({ sandbox, pty: { command: "sh" }, authorize: "yes" as never }),
    field("options.authorize"),
  );
});

test("unknown option keys are refused by name (a misspelt authorize must not open terminals to all)", () => {
  const { sandbox } = setup();
  for (const key of ["authorise", "ptyOptions", "onError"]) {
    assert.throws(
      () => createPtyHandler({ sandbox, pty: { command: "sh" }, [key]: () => true } as never),
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.field === `options.${key}` &&
        error.message.includes(`options.${key}`) && error.message.includes("not a known option"),
    );
  }
  for (const value of [null, [], "sandbox"]) {
    assert.throws(
      () => createPtyHandler(value as never),
      (error: unknown) => error instanceof InvalidArgumentError && error.field === "options",
    );
  }
});
