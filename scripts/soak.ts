/**
 * The full fault soak behind `npm run soak`: the harness of tests/reliability/_soak_harness.ts
 * (every emulator fault kind, event-loop stalls, PTY attach flows; in-process, virtual clock) at
 * full size. Prints the figures as a table and exits non-zero when a guarantee broke.
 *
 * ```sh
 * deno task soak --workers=50 --calls=10000 --seed=20260101 --fault-rate=0.15 --sandboxes=10 --stall-every-ms=20000
 * ```
 *
 * @module
 */
import { formatTable, runSoak } from "../tests/reliability/_soak_harness.ts";

function flag(name: string, fallback: number): number {
  const raw = Deno.args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: not a positive number`);
  return value;
}

if (import.meta.main) {
  const options = {
    workers: flag("workers", 50),
    calls: flag("calls", 10_000),
    seed: flag("seed", 20260101),
    faultRate: flag("fault-rate", 0.15),
    sandboxes: flag("sandboxes", 10),
    stallEveryMs: flag("stall-every-ms", 20_000),
    attach: true,
  };
  console.log(
    `fault soak: ${options.workers} workers, ${options.calls} calls, seed ${options.seed}, ` +
      `fault rate ${options.faultRate}, ${options.sandboxes} sandboxes per provider` +
      `, a ${options.stallEveryMs} ms mean gap between 1.2 s stalls, attach flows ` +
      `(in-process emulator, virtual clock)`,
  );
  const report = await runSoak({ ...options, log: (line) => console.log(line) });
  console.log(formatTable(report));
  Deno.exit(report.violations.length === 0 ? 0 : 1);
}
