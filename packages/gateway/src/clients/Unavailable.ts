import { DeadlineExceeded, ServiceUnavailable, type Unreachable } from "@shop/domain"
import { Effect } from "effect"

/**
 * What the gateway tells a client about a backend it could not use: which service, never the backend's or
 * grpc-js' words (they name internal addresses). The other errors of an operation pass as they are.
 */
export const withoutBackendDetails = <A, E, R>(
  effect: Effect.Effect<A, E | Unreachable, R>
): Effect.Effect<A, E | Unreachable, R> =>
  Effect.mapError(effect, (error) => {
    if (error instanceof ServiceUnavailable) {
      return new ServiceUnavailable({ service: error.service, detail: "the service did not answer" })
    }
    if (error instanceof DeadlineExceeded) return new DeadlineExceeded({ service: error.service })
    return error
  })
