// The CLI's parts in-process: argument parsing, exit codes, colour, progress lines for
// rate-limit waits, the TERM passed to a PTY, and the bounded TCP readiness probe.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { Writable } from "node:stream";
import {
  AuthenticationError,
  ConfigError,
  ForbiddenError,
  InvalidArgumentError,
  MissingApiKeyError,
  NetworkError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "../../mod.ts";
import { parse } from "../../src/cli/args.ts";
import { progressHooks } from "../../src/cli/context.ts";
import { CliError, EXIT, exitCodeOf, UsageError } from "../../src/cli/errors.ts";
import { Output, useColor } from "../../src/cli/output.ts";
import { SSH } from "../../src/cli/commands/ssh.ts";
import { waitForTcp } from "../../src/cli/system.ts";
import { terminalEnv } from "../../src/cli/terminal.ts";
import { listenOnLoopback } from "../helpers/loopback.ts";

function memoryStream(isTTY: boolean) {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

describe("CLI parts", () => {
  test("parse: options, positionals, and everything after -- untouched", () => {
    const parsed = parse(SSH, ["sb", "--ttl", "60", "--", "-v", "--ttl", "x"]);
    assert.deepEqual(parsed.positionals, ["sb"]);
    assert.equal(parsed.values.ttl, "60");
    assert.deepEqual(parsed.rest, ["-v", "--ttl", "x"]);
    assert.throws(() => parse(SSH, ["sb", "--nope"]), UsageError);
    assert.throws(
      () => parse(SSH, ["sb", "--ttl"]),
      /ssh: Option '--ttl <value>' argument missing/,
    );
  });

  test("exit codes follow the typed errors", () => {
    const init = { provider: "primeintellect", operation: "exposePort" } as const;
    assert.equal(exitCodeOf(new UsageError("x")), EXIT.usage);
    assert.equal(exitCodeOf(new InvalidArgumentError("port", 1, "must be ≥ 22")), EXIT.usage);
    assert.equal(exitCodeOf(new MissingApiKeyError("primeintellect", "PRIME_API_KEY")), 3);
    assert.equal(exitCodeOf(new ConfigError("baseUrl: bad")), EXIT.config);
    assert.equal(exitCodeOf(new NotFoundError({ ...init, status: 404 })), EXIT.notFound);
    assert.equal(exitCodeOf(new AuthenticationError({ ...init, status: 401 })), EXIT.auth);
    assert.equal(exitCodeOf(new ForbiddenError({ ...init, status: 403 })), EXIT.auth);
    assert.equal(exitCodeOf(new RateLimitedError({ ...init, status: 429 })), EXIT.rateLimited);
    assert.equal(exitCodeOf(new ValidationError({ ...init, status: 422 })), EXIT.usage);
    assert.equal(exitCodeOf(new ServerError({ ...init, status: 503 })), EXIT.failure);
    assert.equal(exitCodeOf(new NetworkError("refused")), EXIT.network);
    assert.equal(exitCodeOf(new TimeoutError(5000)), EXIT.network);
    assert.equal(exitCodeOf(new CliError("ssh not found")), EXIT.failure);
    assert.equal(exitCodeOf(new Error("boom")), EXIT.failure);
  });

  test("colour only on a terminal, never with NO_COLOR", () => {
    assert.equal(useColor({ isTTY: true }, {}), true);
    assert.equal(useColor({ isTTY: true }, { NO_COLOR: "1" }), false);
    assert.equal(useColor({ isTTY: false }, {}), false);
    assert.equal(useColor({}, {}), false);
  });

  test("a rate-limit wait over a second is announced with how long and why", () => {
    const stderr = memoryStream(false);
    const stdout = memoryStream(false);
    const out = new Output({ stdout: stdout.stream, stderr: stderr.stream, env: {} });
    const { onEvent } = progressHooks(out);
    const wait = { type: "rate-limit", key: "k", message: "m", elapsedMs: 0 } as const;
    onEvent({ ...wait, waitMs: 400, remainingMs: 400, operation: "exposePort" });
    assert.equal(stderr.text(), "", "short waits stay quiet");
    onEvent({ ...wait, waitMs: 12_300, remainingMs: 12_300, operation: "createSshSession" });
    onEvent({
      ...wait,
      waitMs: 12_300,
      elapsedMs: 5000,
      remainingMs: 7300,
      operation: "createSshSession",
    });
    assert.equal(
      stderr.text(),
      "createSshSession: waiting 12 s for a rate-limit slot " +
        "(the gateway allows 20 requests a minute per sandbox)\n" +
        "createSshSession: waiting 7.3 s for a rate-limit slot " +
        "(the gateway allows 20 requests a minute per sandbox)\n",
    );
    assert.equal(stdout.text(), "", "progress never goes to stdout");
  });

  test("TERM is passed through when portable, else xterm-256color (as upstream)", () => {
    assert.deepEqual(terminalEnv({ TERM: "screen-256color" }), { TERM: "screen-256color" });
    assert.deepEqual(terminalEnv({ TERM: "xterm-kitty", COLORTERM: "truecolor" }), {
      TERM: "xterm-256color",
      COLORTERM: "truecolor",
    });
    assert.deepEqual(terminalEnv({}), {});
  });

  test("the readiness probe resolves once the port accepts, and gives up in bounded time", async () => {
    const server = createServer((socket) => socket.end());
    const port = await listenOnLoopback(server);
    const signal = new AbortController().signal;
    await waitForTcp("127.0.0.1", port, { timeoutMs: 2000, signal });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    await assert.rejects(
      waitForTcp("127.0.0.1", port, { timeoutMs: 600, intervalMs: 100, signal }),
      (error: unknown) =>
        error instanceof CliError &&
        error.message === `127.0.0.1:${port} did not accept connections within 1 s`,
    );
    assert.ok(Date.now() - started < 5000, "bounded");
    const aborted = new AbortController();
    aborted.abort({ signal: "SIGINT", exitCode: 130 });
    await assert.rejects(
      waitForTcp("127.0.0.1", port, { timeoutMs: 5000, signal: aborted.signal }),
      (reason: unknown) => (reason as { exitCode?: number }).exitCode === 130,
    );
  });
});
