/**
 * Counts unhandled promise rejections on every runtime: Node's and Bun's `process` event and the
 * web `unhandledrejection` event (Deno, workers), each rejection once.
 *
 * @module
 */

/** Calls `count` once per unhandled rejection until the returned function is called. */
export function onUnhandled(count: (reason: unknown) => void): () => void {
  // deno-lint-ignore no-explicit-any
  type Listener = (name: string, handler: (...args: any[]) => void) => void;
  const g = globalThis as unknown as {
    process?: { on?: Listener; off?: Listener };
    addEventListener?: Listener;
    removeEventListener?: Listener;
  };
  const seen = new Set<unknown>();
  const once = (reason: unknown) => {
    if (seen.has(reason)) return;
    seen.add(reason);
    count(reason);
  };
  const nodeHandler = (reason: unknown) => once(reason);
  const webHandler = (event: { reason: unknown; preventDefault(): void }) => {
    event.preventDefault();
    once(event.reason);
  };
  const usesProcess = typeof g.process?.on === "function";
  if (usesProcess) g.process!.on!("unhandledRejection", nodeHandler);
  if (typeof g.addEventListener === "function") {
    g.addEventListener("unhandledrejection", webHandler);
  }
  return () => {
    if (usesProcess) g.process!.off?.("unhandledRejection", nodeHandler);
    if (typeof g.removeEventListener === "function") {
      g.removeEventListener("unhandledrejection", webHandler);
    }
  };
}
