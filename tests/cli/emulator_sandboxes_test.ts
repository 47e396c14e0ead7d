// `sandgate emulator --sandbox ID[:STATUS][:vm]`: sandboxes in the states Prime's
// GET /api/v1/sandbox/{sandbox_id} reports, so that the paths for a VM sandbox and for one
// that is not running can be tried from a terminal: the CLI refuses them as Prime's does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cli, type FakeBin, fakeSshBin, type Running, skipCli, start, until } from "./_helpers.ts";

describe("sandgate emulator --sandbox", { skip: skipCli }, () => {
  let running: Running;
  let env: Record<string, string>;
  let bin: FakeBin;
  before(async () => {
    running = start([
      "emulator",
      "--json",
      "--quiet",
      "--sandbox",
      "sb-1",
      "--sandbox",
      "sb-vm:vm",
      "--sandbox",
      "sb-new:pending",
    ], {});
    await until(() => running.stdout().includes("}"), "the emulator's JSON");
    bin = fakeSshBin();
    env = { ...(JSON.parse(running.stdout()) as { env: Record<string, string> }).env };
    env.PATH = bin.path;
  });
  after(async () => {
    running.kill("SIGINT");
    await running.done;
    bin.remove();
  });

  test("a VM sandbox: expose and ssh are refused, saying so", async () => {
    const exposed = await cli(["expose", "sb-vm", "8000"], env);
    assert.equal(exposed.code, 2, exposed.stderr);
    assert.match(
      exposed.stderr,
      /sandboxId: is a VM sandbox: Prime Intellect does not support port exposure on VM sandboxes yet/,
    );
    const ssh = await cli(["ssh", "sb-vm"], env);
    assert.equal(ssh.code, 1, ssh.stderr);
    assert.match(ssh.stderr, /ssh: sb-vm is a VM sandbox/);
  });

  test("a PENDING sandbox: ssh is refused naming the status; a running one works; others are 404", async () => {
    const ssh = await cli(["ssh", "sb-new"], env);
    assert.equal(ssh.code, 1, ssh.stderr);
    assert.match(ssh.stderr, /ssh: sb-new is not running \(status: PENDING\)/);
    const ok = await cli(["expose", "sb-1", "8000"], env);
    assert.equal(ok.code, 0, ok.stderr);
    const unknown = await cli(["ports", "zz"], env);
    assert.equal(unknown.code, 4, unknown.stderr);
  });

  test("a malformed --sandbox is a usage error", async () => {
    for (const value of ["sb:WEIRD", ":vm", "a b"]) {
      const result = await cli(["emulator", "--sandbox", value]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /--sandbox .*must be ID\[:STATUS\]\[:vm\]/);
    }
  });
});
