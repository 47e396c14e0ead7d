/**
 * Small helpers for abort signals: combining them without leaking listeners,
 * and racing a promise against a signal.
 *
 * @module
 */

/** A combined signal and how to detach it from its sources. */
export interface CombinedSignal {
  /** Aborts as soon as any source aborts, with that source's reason. */
  readonly signal: AbortSignal;
  /** Detaches from the sources; call it once the signal is no longer needed. */
  dispose(): void;
}

type AnyFn = (signals: AbortSignal[]) => AbortSignal;

/**
 * Combines signals with `AbortSignal.any` where the runtime has it, and with
 * listeners (removed by `dispose`) where it does not (or when `any` is `null`).
 */
export function combineSignals(
  signals: readonly AbortSignal[],
  any: AnyFn | null = (AbortSignal as { any?: AnyFn }).any?.bind(AbortSignal) ?? null,
): CombinedSignal {
  if (any) return { signal: any([...signals]), dispose() {} };
  const controller = new AbortController();
  const already = signals.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const listeners = signals.map((source) => {
    const onAbort = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener("abort", onAbort, { once: true });
    return () => source.removeEventListener("abort", onAbort);
  });
  const dispose = () => {
    for (const remove of listeners) remove();
    listeners.length = 0;
  };
  return { signal: controller.signal, dispose };
}

/**
 * Settles like `promise`, or rejects with `signal.reason` as soon as `signal`
 * aborts, whichever comes first. A rejection of the abandoned promise is
 * handled, so it never surfaces as unhandled; a value it resolves with later
 * goes to `onAbandoned` (e.g. to cancel a response body).
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbandoned: (value: T) => void = () => {},
): Promise<T> {
  const abandon = () => {
    promise.then(onAbandoned, () => {}).catch(() => {});
  };
  if (signal.aborted) {
    abandon();
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      abandon();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
