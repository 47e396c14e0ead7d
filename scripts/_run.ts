/** Runs a command to its end: its stdout, or an error carrying both outputs when it fails. */
export async function run(cmd: string, args: string[], options: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(cmd, { ...options, args }).output();
  const [stdout, stderr] = [out.stdout, out.stderr].map((b) => new TextDecoder().decode(b));
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  return stdout!;
}
