/** Lets pending promise chains (and fake I/O) run: a few macrotask turns. */
export async function flush(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}
