// Repo-only: `npm ci` needs every platform variant of an optional dependency in
// package-lock.json, and this workplace's registry mirror lacks some of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { completeLockfile, platformOf } from "../../tools/complete_lockfile.ts";

test("package-lock.json lists every optional platform package (npm ci would refuse it otherwise)", async () => {
  const lock = JSON.parse(
    await readFile(new URL("../../package-lock.json", import.meta.url), "utf8"),
  );
  assert.deepEqual(completeLockfile(lock), [], "run `npx deno task complete-lockfile`");
});

test("platforms are read from package names", () => {
  assert.deepEqual(platformOf("@deno/darwin-arm64"), { os: ["darwin"], cpu: ["arm64"] });
  assert.deepEqual(platformOf("@oxlint/binding-linux-arm-musleabihf"), {
    os: ["linux"],
    cpu: ["arm"],
    libc: ["musl"],
  });
  assert.deepEqual(platformOf("@deno/linux-arm64-glibc"), {
    os: ["linux"],
    cpu: ["arm64"],
    libc: ["glibc"],
  });
  assert.deepEqual(platformOf("@oxlint/binding-win32-ia32-msvc"), { os: ["win32"], cpu: ["ia32"] });
  assert.equal(platformOf("left-pad"), undefined);
});
