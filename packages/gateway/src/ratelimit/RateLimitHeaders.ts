import { HttpServerResponse } from "effect/http"
import type { Decision } from "./TokenBuckets.ts"

/**
 * The one place rate-limit headers are written: `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
 * (seconds until the budget is whole again) on every limited route, and `Retry-After` on a 429. A later header
 * format (the IETF draft's `RateLimit-Policy` / `RateLimit`) belongs here too.
 */
export const withRateLimitHeaders = (
  response: HttpServerResponse.HttpServerResponse,
  decision: Decision
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.setHeaders(
    response,
    decision.allowed
      ? {
        "ratelimit-limit": String(decision.limit),
        "ratelimit-remaining": String(decision.remaining),
        "ratelimit-reset": String(decision.resetSeconds)
      }
      : {
        "retry-after": String(decision.retryAfterSeconds),
        "ratelimit-limit": String(decision.limit),
        "ratelimit-remaining": "0",
        "ratelimit-reset": String(decision.retryAfterSeconds)
      }
  )
