// The ordered queue of input and resizes (src/tensorlake/op_queue.ts) that a re-attaching PTY
// connection and the `sandgate/xterm` binding both send through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OpQueue, type OpTarget } from "../../src/tensorlake/op_queue.ts";
import type { PtySize } from "../../src/tensorlake/pty_size.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

/** A target that records what it took; `refuse` makes its next sends fail. */
function recorder() {
  const sent: string[] = [];
  let refuse = false;
  let gate: Promise<void> = Promise.resolve();
  const target: OpTarget = {
    async write(b: Uint8Array) {
      await gate;
      if (refuse) throw new Error("refused");
      sent.push(`in:${text(b)}`);
    },
    async resize(size: PtySize) {
      await gate;
      if (refuse) throw new Error("refused");
      sent.push(`size:${size.cols}x${size.rows}`);
    },
  };
  return {
    sent,
    target,
    refuse: (on: boolean) => void (refuse = on),
    hold: () => {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = Promise.resolve();
        open();
      };
    },
  };
}

test("input and resizes go out in the order they were asked for", async () => {
  const r = recorder();
  const ops = new OpQueue(Infinity, () => {});
  ops.retarget(r.target);
  const a = await ops.input(bytes("a"));
  const resized = ops.resize({ cols: 90, rows: 20 });
  const b = await ops.input(bytes("b"));
  await Promise.all([a.sent, resized, b.sent]);
  assert.deepEqual(r.sent, ["in:a", "size:90x20", "in:b"]);
});

test("a resize waiting its turn at the end is replaced by a newer one: the latest size wins", async () => {
  const r = recorder();
  const ops = new OpQueue(Infinity, () => {});
  const release = r.hold();
  ops.retarget(r.target);
  const first = await ops.input(bytes("x")); // being sent, held
  const sizes = [ops.resize({ cols: 90, rows: 20 }), ops.resize({ cols: 120, rows: 40 })];
  release();
  await Promise.all([first.sent, ...sizes]);
  assert.deepEqual(r.sent, ["in:x", "size:120x40"], "one resize, the latest");
  // Not at the end (input after it): a newer resize is queued after the input.
  ops.resize({ cols: 80, rows: 24 });
  const typed = await ops.input(bytes("stty size"));
  await Promise.all([typed.sent, ops.resize({ cols: 100, rows: 30 })]);
  assert.deepEqual(r.sent.slice(2), ["size:80x24", "in:stty size", "size:100x30"]);
});

test("an op the target refuses stays first in line for the next target, sent once", async () => {
  const r = recorder();
  let inputSent = 0;
  const ops = new OpQueue(Infinity, () => inputSent++);
  r.refuse(true);
  ops.retarget(r.target);
  const first = await ops.input(bytes("1"));
  const second = await ops.input(bytes("2"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(r.sent, []);
  const next = recorder();
  ops.retarget(next.target);
  await Promise.all([first.sent, second.sent]);
  assert.deepEqual(next.sent, ["in:1", "in:2"]);
  assert.equal(inputSent, 2);
});

test("queued input is bounded in bytes: a writer waits past the bound until a target takes it", async () => {
  const ops = new OpQueue(4, () => {});
  await ops.input(bytes("abcd"));
  let queued = false;
  const waiting = ops.input(bytes("e")).then((q) => (queued = true, q));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(queued, false, "waits while 4 bytes are queued with no target");
  const r = recorder();
  ops.retarget(r.target);
  await (await waiting).sent;
  assert.deepEqual(r.sent, ["in:abcd", "in:e"]);
});

test("close: waiting resizes reject with the error, input resolves, later ops do not wait", async () => {
  const ops = new OpQueue(1, () => {});
  const input = await ops.input(bytes("a"));
  const blocked = ops.input(bytes("b"));
  const resized = ops.resize({ cols: 90, rows: 20 });
  const error = new Error("gone");
  ops.close(error);
  await assert.rejects(resized, (e: unknown) => e === error);
  await input.sent;
  await (await blocked).sent;
  await (await ops.input(bytes("c"))).sent;
});
