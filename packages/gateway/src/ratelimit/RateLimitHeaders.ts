import { Duration } from "effect"
import { HttpServerResponse } from "effect/http"
import type { Quota, RouteClass } from "./RateLimitConfig.ts"
import type { Decision } from "./TokenBuckets.ts"

/**
 * The policy a decision was taken under: its name (the route class, e.g. `order-write`) and its quota. Policy names
 * are written as Structured Field strings, so they stay within the quoted-string alphabet.
 */
export interface RateLimitPolicy {
  readonly name: RouteClass
  readonly quota: Quota
}

/** The quota's window in whole seconds, at least 1 (the draft's `w` has no sub-second precision). */
const windowSeconds = (quota: Quota) => Math.max(1, Math.round(Duration.toSeconds(quota.window)))

/**
 * The one place rate-limit headers are written, in two generations side by side:
 *
 * - the IETF draft's current fields (draft-ietf-httpapi-ratelimit-headers, Structured Field lists):
 *   `RateLimit-Policy: "order-write";q=60;w=60` (the quota of the policy) and
 *   `RateLimit: "order-write";r=41;t=19` (`r` requests remaining, `t` seconds until the budget is whole again);
 * - the earlier draft's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`, kept for the clients that
 *   read them.
 *
 * A 429 also carries `Retry-After`, and there `r=0` and `t` is the wait before the next request may pass.
 */
export const rateLimitFields = (decision: Decision, policy: RateLimitPolicy): Record<string, string> => {
  const remaining = decision.allowed ? decision.remaining : 0
  const reset = decision.allowed ? decision.resetSeconds : decision.retryAfterSeconds
  return {
    "ratelimit-policy": `"${policy.name}";q=${policy.quota.limit};w=${windowSeconds(policy.quota)}`,
    ratelimit: `"${policy.name}";r=${remaining};t=${reset}`,
    "ratelimit-limit": String(decision.limit),
    "ratelimit-remaining": String(remaining),
    "ratelimit-reset": String(reset),
    ...(decision.allowed ? {} : { "retry-after": String(decision.retryAfterSeconds) })
  }
}

/** The response with the rate-limit fields of `decision` (see rateLimitFields). */
export const withRateLimitHeaders = (
  response: HttpServerResponse.HttpServerResponse,
  decision: Decision,
  policy: RateLimitPolicy
): HttpServerResponse.HttpServerResponse => HttpServerResponse.setHeaders(response, rateLimitFields(decision, policy))
