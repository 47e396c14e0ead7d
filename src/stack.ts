/**
 * A client's middleware stack, built on its first request (the pipeline
 * imports this module with `import()`, so a bundle that splits code loads
 * the stack with the first call instead of with `import "sandgate"`):
 *
 *   timeout → retry → auth → rate limit → network errors → `fetch`
 *
 * and the key resolver behind the auth layer and WebSocket upgrades.
 *
 * @module
 */
import { reportingFetch, reportWait, retryReporter } from "./events.ts";
import { defaultFetch } from "./http/default_fetch.ts";
import type { NormalizedOptions } from "./normalize.ts";
import type { ProviderProfile } from "./profile.ts";
import { rateLimitMiddleware } from "./rate_limit/middleware.ts";
import { apiKeyResolver, authMiddleware, type AuthOptions } from "./middleware/auth.ts";
import { compose } from "./middleware/compose.ts";
import type { Handler, Middleware } from "./middleware/context.ts";
import { networkErrorMiddleware } from "./middleware/network.ts";
import { retryMiddleware } from "./middleware/retry.ts";
import { timeoutMiddleware } from "./middleware/timeout.ts";

/** What {@link Pipeline} sends through (src/pipeline.ts). */
export interface Stack {
  /** The client's stack: its key, its client-side budgets. */
  readonly limited: Handler;
  /** The stack for a call with a bearer of its own: no key, no client-side budget. */
  unlimited(): Handler;
  /** The client's API key, checked: the one resolver the auth layer uses. */
  readonly apiKey: () => string | Promise<string>;
}

/**
 * Builds the stack of a client with `options` talking to `profile`'s provider.
 *
 * @example
 * ```ts
 * import { buildStack } from "./stack.ts";
 * import { normalizeClientOptions } from "./normalize.ts";
 * import { CLIENT_OPTION_KEYS } from "./options.ts";
 * const options = normalizeClientOptions({ apiKey: " k " }, CLIENT_OPTION_KEYS);
 * const profile = {
 *   provider: "primeintellect",
 *   envVar: "PRIME_API_KEY",
 *   operations: {},
 *   sandboxIdOf: () => "",
 *   policy: { rateLimits: {}, retryStatuses: { idempotent: [], other: [] } },
 * } as const;
 * if (buildStack(profile, options).apiKey() !== "k") throw new Error("the key is trimmed");
 * ```
 */
export function buildStack(profile: ProviderProfile, options: NormalizedOptions): Stack {
  const { clock } = options;
  const auth: AuthOptions = {
    provider: profile.provider,
    apiKey: options.apiKey,
    envVar: profile.envVar,
    keyFile: profile.keyFile,
    clock,
  };
  let unlimited: Handler | undefined;
  return {
    limited: composeStack(profile, options, true, authMiddleware(auth)),
    unlimited: () =>
      unlimited ??= composeStack(
        profile,
        options,
        false,
        authMiddleware({
          provider: profile.provider,
          apiKey: undefined,
          envVar: profile.envVar,
          clock,
        }),
      ),
    apiKey: apiKeyResolver(auth),
  };
}

function composeStack(
  profile: ProviderProfile,
  options: NormalizedOptions,
  limited: boolean,
  auth: Middleware,
): Handler {
  const { clock, emit } = options;
  const stack: Middleware[] = [timeoutMiddleware({ timeoutMs: options.timeoutMs, clock })];
  if (options.retry !== false) {
    stack.push(retryMiddleware({
      ...options.retry,
      statuses: profile.policy.retryStatuses,
      onRetry: retryReporter(options.onRetry, emit),
      clock,
    }));
  }
  stack.push(auth);
  // An explicit `limit` or `windowMs` is one budget for every call (the old
  // behaviour); otherwise the provider's documented budgets apply, per operation.
  const rateLimit = options.rateLimit;
  const budgets = profile.policy.rateLimits;
  if (limited && rateLimit !== false && (rateLimit.custom || Object.keys(budgets).length > 0)) {
    const { onRateLimit } = options;
    const { custom: _, ...limits } = rateLimit;
    stack.push(rateLimitMiddleware({
      ...limits,
      ...(rateLimit.custom ? {} : { budgetOf: (context) => budgets[context.operation] }),
      onRateLimit: emit
        ? (info) => {
          onRateLimit?.(info);
          reportWait(emit, info, 0);
        }
        : onRateLimit,
      ...(emit ? { onWaitProgress: (info, elapsedMs) => reportWait(emit, info, elapsedMs) } : {}),
      clock,
    }));
  }
  stack.push(networkErrorMiddleware());
  const send = reportingFetch(options.fetch ?? defaultFetch, emit, clock);
  return compose(stack, (request, context) => send(request, context.operation));
}
