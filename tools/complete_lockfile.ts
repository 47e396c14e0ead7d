/**
 * Completes package-lock.json with the foreign-platform packages the registry
 * mirror of this workplace does not serve (Deno's and oxlint's binaries for
 * macOS, Windows, other Linux flavours…).
 *
 * Why: npm records every platform variant of an optional dependency in the
 * lock file and `npm ci` refuses a lock file that lacks one ("Missing:
 * @deno/darwin-arm64@ from lock file"). When the registry cannot resolve a
 * variant, `npm install` silently leaves it out, and the next `npm ci` fails.
 * The added entries carry the exact version and the `os`/`cpu`/`libc` npm
 * needs to skip them on other machines; no integrity is invented.
 *
 * Run after any change to the dependencies:
 *
 * ```sh
 * npm install && npx deno task complete-lockfile && npm ci
 * ```
 *
 * @module
 */

type Entry = {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  os?: string[];
  cpu?: string[];
  libc?: string[];
};

const OS = ["darwin", "linux", "win32", "android", "freebsd", "openharmony"];
const CPU: [RegExp, string][] = [
  [/(^|-)(arm64|aarch64)(-|$)/, "arm64"],
  [/(^|-)x64(-|$)/, "x64"],
  [/(^|-)ia32(-|$)/, "ia32"],
  [/(^|-)arm(-|$)/, "arm"],
  [/(^|-)ppc64(-|$)/, "ppc64"],
  [/(^|-)riscv64(-|$)/, "riscv64"],
  [/(^|-)s390x(-|$)/, "s390x"],
];

/** Infers `os`, `cpu` and `libc` from a platform package's name, e.g. `@oxlint/binding-linux-arm64-musl`. */
export function platformOf(name: string): Pick<Entry, "os" | "cpu" | "libc"> | undefined {
  const base = name.split("/").pop()!;
  const os = OS.find((o) => base.split("-").includes(o));
  const cpu = CPU.find(([pattern]) => pattern.test(base))?.[1];
  if (!os || !cpu) return undefined;
  const out: Pick<Entry, "os" | "cpu" | "libc"> = { os: [os], cpu: [cpu] };
  if (os === "linux" && /(^|-)(gnu|glibc|gnueabihf)(-|$)/.test(base)) out.libc = ["glibc"];
  if (os === "linux" && /(^|-)(musl|musleabihf)(-|$)/.test(base)) out.libc = ["musl"];
  return out;
}

/** Adds lock entries for optional dependencies that have none; returns the names added. */
export function completeLockfile(lock: { packages: Record<string, Entry> }): string[] {
  const added: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const key = `node_modules/${name}`;
      if (lock.packages[key] || lock.packages[`${path}/${key}`]) continue;
      if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
        throw new Error(`${name}: spec ${spec} is not an exact version; cannot complete it`);
      }
      const platform = platformOf(name);
      if (!platform) throw new Error(`${name}: cannot tell its platform from the name`);
      lock.packages[key] = {
        version: spec,
        ...(entry.dev ? { dev: true } : {}),
        optional: true,
        ...platform,
      };
      added.push(`${name}@${spec}`);
    }
  }
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort((
      [a],
      [b],
    ) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
  );
  return added;
}

if (import.meta.main) {
  const file = new URL("../package-lock.json", import.meta.url);
  const lock = JSON.parse(await Deno.readTextFile(file));
  const added = completeLockfile(lock);
  await Deno.writeTextFile(file, JSON.stringify(lock, null, 2) + "\n");
  console.log(
    added.length
      ? `added ${added.length} entries:\n  ${added.join("\n  ")}`
      : "lock file already complete",
  );
}
