import { test } from "node:test";
import assert from "node:assert/strict";
import { compose } from "../../src/middleware/compose.ts";
import type { Middleware } from "../../src/middleware/context.ts";
import { timedSignal } from "../../src/util/timed_signal.ts";
import { TimeoutError } from "../../mod.ts";
import { FakeClock } from "../../src/testing/time.ts";
import { context } from "./_support.ts";

const request = () => new Request("https://api.example.com/x");

test("compose: a synchronous throw in a middleware or the terminal handler is a rejection", async () => {
  const seen: string[] = [];
  const outer: Middleware = (next) => (req, ctx) => {
    seen.push("outer");
    return next(req, ctx).catch((error: Error) => {
      seen.push(`outer caught ${error.message}`);
      throw error;
    });
  };
  const throwing: Middleware = () => () => {
    throw new Error("middleware");
  };
  const terminal = () => {
    throw new Error("terminal");
  };

  const viaMiddleware = compose([outer, throwing], terminal);
  let result: unknown = undefined;
  assert.doesNotThrow(() => {
    result = viaMiddleware(request(), context());
  });
  await assert.rejects(result as unknown as Promise<Response>, { message: "middleware" });

  const viaTerminal = compose([outer], terminal);
  await assert.rejects(viaTerminal(request(), context()), { message: "terminal" });
  assert.deepEqual(seen, ["outer", "outer caught middleware", "outer", "outer caught terminal"]);
});

test("compose: order is outermost first; an empty stack is the terminal handler", async () => {
  const order: string[] = [];
  const tag = (name: string): Middleware => (next) => async (req, ctx) => {
    order.push(`${name} in`);
    const response = await next(req, ctx);
    order.push(`${name} out`);
    return response;
  };
  const handler = compose([tag("a"), tag("b")], () => Promise.resolve(new Response("ok")));
  assert.equal(await (await handler(request(), context())).text(), "ok");
  assert.deepEqual(order, ["a in", "b in", "b out", "a out"]);
  const bare = compose([], () => Promise.resolve(new Response("bare")));
  assert.equal(await (await bare(request(), context())).text(), "bare");
});

test("timedSignal: the user's reason, a TimeoutError on the clock, or nothing once disposed", async () => {
  const clock = new FakeClock();
  const user = new AbortController();
  const byUser = timedSignal(user.signal, 1000, clock, "op");
  user.abort("mine");
  assert.equal(byUser.signal.reason, "mine");
  byUser.dispose();

  const byTimer = timedSignal(undefined, 1000, clock, "op");
  await clock.tickAsync(999);
  assert.equal(byTimer.signal.aborted, false);
  await clock.tickAsync(1);
  assert.ok(byTimer.signal.reason instanceof TimeoutError);
  byTimer.dispose();

  const other = new AbortController();
  const disposed = timedSignal(other.signal, 1000, clock, "op");
  disposed.dispose();
  assert.equal(clock.pending, 0, "dispose stops the timer");
  other.abort("late");
  await clock.tickAsync(5000);
  assert.equal(disposed.signal.aborted, false, "a disposed signal follows nothing");

  const stopped = timedSignal(other.signal, 1000, clock, "op");
  assert.equal(stopped.signal.reason, "late", "an already aborted user signal aborts at once");
  const kept = new AbortController();
  const timerOnly = timedSignal(kept.signal, 1000, clock, "op");
  timerOnly.stopTimer();
  await clock.tickAsync(5000);
  assert.equal(timerOnly.signal.aborted, false);
  kept.abort("still linked");
  assert.equal(timerOnly.signal.reason, "still linked", "stopTimer keeps the user's link");
});
