import { NodeHttpServerRequest } from "@effect/platform-node"
import { Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { rateLimited, simulatedFailure } from "./ApiError.ts"
import type { FaultDecision, Faults } from "./Faults.ts"
import { errorResponse } from "./Reply.ts"

/** Waits the latency drawn for this request. */
export const addLatency = (decision: FaultDecision): Effect.Effect<void> =>
  decision.latencyMillis > 0 ? Effect.sleep(decision.latencyMillis) : Effect.void

/**
 * Draws the faults for one API request and answers the ones that preempt it (429, 500/503, hang); otherwise runs
 * `handle`, which decides where the latency goes and whether to drop the connection after charging.
 */
export const withFaults = (faults: typeof Faults.Service) =>
<E, R>(
  handle: (decision: FaultDecision) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
  Effect.flatMap(faults.draw, (decision) => {
    switch (decision.failure) {
      case undefined:
        return handle(decision)
      case "hang":
        // Interrupted by the server when the client closes the connection.
        return Effect.never
      case "rate_limit":
        return Effect.as(addLatency(decision), errorResponse(rateLimited, { "retry-after": "1" }))
      case "error_500":
        return Effect.as(addLatency(decision), errorResponse(simulatedFailure(500)))
      case "error_503":
        return Effect.as(addLatency(decision), errorResponse(simulatedFailure(503)))
    }
  })

/**
 * Destroys the connection without a reply: the "charged but the reply was lost" case. The server interrupts the
 * request when it sees the socket close, so this never returns.
 */
export const dropConnection: Effect.Effect<never, never, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) => {
    NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
    return Effect.never
  }
)
