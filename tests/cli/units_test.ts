// The CLI's parts in-process: argument parsing, exit codes, colour, progress lines for
// rate-limit waits and readiness attempts, and the TERM passed to a PTY.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
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
import { PTY } from "../../src/cli/commands/pty.ts";
import { SSH } from "../../src/cli/commands/ssh.ts";
import { terminalEnv } from "../../src/cli/terminal.ts";

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

  test("parse: a refused option is refused whatever follows it, and its value is not echoed", () => {
    // A PTY token may start with "-" (base64url): parseArgs would read it as an option and
    // report a piece of it as "unexpected -9" instead of the refusal.
    for (const args of [["sb", "s1", "--token", "-9Secret"], ["sb", "--token=-9Secret"]]) {
      assert.throws(
        () => parse(PTY, ["attach", ...args]),
        (error: unknown) =>
          error instanceof UsageError &&
          /^pty: --token is refused: a token on the command line is visible/.test(error.message) &&
          !error.message.includes("9Secret"),
      );
    }
    assert.deepEqual(parse(PTY, ["sb", "--", "--token", "x"]).rest, ["--token", "x"], "after --");
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

  test("each readiness attempt that found nothing serving is a progress line; ready is quiet", () => {
    const stderr = memoryStream(false);
    const stdout = memoryStream(false);
    const out = new Output({ stdout: stdout.stream, stderr: stderr.stream, env: {} });
    const { onEvent } = progressHooks(out);
    const attempt = {
      type: "readiness",
      operation: "waitUntilReady",
      target: "https://8000-sb.example.test/",
      message: "m",
      elapsedMs: 0,
    } as const;
    onEvent({
      ...attempt,
      attempt: 1,
      ready: false,
      outcome: "HTTP 502 from the gateway",
      delayMs: 180,
    });
    onEvent({ ...attempt, attempt: 2, ready: true, outcome: "HTTP 200", delayMs: null });
    assert.equal(
      stderr.text(),
      "https://8000-sb.example.test/ does not answer yet (HTTP 502 from the gateway); " +
        "attempt 2 in 0.2 s\n",
    );
    assert.equal(stdout.text(), "");
  });
});
