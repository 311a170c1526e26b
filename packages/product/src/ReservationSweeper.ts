import { Effect, Layer, Schedule } from "effect"
import { Inventory } from "./Inventory.ts"
import { ProductConfig } from "./ProductConfig.ts"

/**
 * Releases reservations that were not committed before they expired, every `sweepInterval`, as a background fiber
 * that lives as long as the layer. Replicas may all run it: each batch locks its reservations with SKIP LOCKED, so
 * two sweepers never wait on, or expire, the same reservation.
 */
export const ReservationSweeperLive = Layer.effectDiscard(Effect.gen(function*() {
  const inventory = yield* Inventory
  const { sweepBatchSize, sweepInterval } = yield* ProductConfig
  const sweep = Effect.gen(function*() {
    let expired = 0
    for (;;) {
      const batch = yield* inventory.expireDue(sweepBatchSize)
      expired += batch.length
      if (batch.length < sweepBatchSize) break
    }
    if (expired > 0) yield* Effect.logInfo("released expired reservations", { count: expired })
  }).pipe(
    Effect.withSpan("ReservationSweeper.sweep"),
    Effect.catchCause((cause) => Effect.logError("reservation sweep failed; retrying next interval", cause))
  )
  yield* Effect.forkScoped(Effect.repeat(sweep, Schedule.spaced(sweepInterval)))
}))
