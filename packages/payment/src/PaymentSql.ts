import { ServiceUnavailable } from "@shop/domain"
import { Effect, type Schema } from "effect"
import type { SqlError } from "effect/sql/SqlError"

/**
 * The payment database is the payment service's own: an outage is the service being unavailable (retried by its
 * callers); a row that does not decode is a bug or a corrupt row, a defect.
 */
export const unavailable = (error: { readonly message: string }) =>
  new ServiceUnavailable({ service: "payment-database", detail: error.message })

/** Collapses the failures of a statement into what the repositories promise. */
export const collapse = <A, R>(
  effect: Effect.Effect<A, SqlError | Schema.SchemaError, R>
): Effect.Effect<A, ServiceUnavailable, R> =>
  Effect.catch(effect, (error) => error._tag === "SchemaError" ? Effect.die(error) : Effect.fail(unavailable(error)))
