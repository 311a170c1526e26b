import { Effect } from "effect"
import { HttpRouter } from "effect/http"
import { FaultConfig, Faults } from "./Faults.ts"
import { IdempotencyStore } from "./IdempotencyStore.ts"
import { Ledger } from "./Ledger.ts"
import { errorResponse, json } from "./Reply.ts"
import { decode, jsonBody } from "./RequestParsing.ts"

/** Liveness; never subject to injected faults. */
export const HealthRoute = HttpRouter.add("GET", "/healthz", json(200, { status: "ok", service: "payment-simulator" }))

/**
 * The test-control API (faults, reset); never subject to injected faults, or a fault could not be turned off.
 * Served only when enabled (`SIMULATOR_ADMIN=true`): anyone who reaches it can fail or reset the card processor.
 */
export const AdminRoutes = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const ledger = yield* Ledger
  const store = yield* IdempotencyStore
  const faults = yield* Faults
  const decodeFaults = decode(FaultConfig)

  yield* router.add("GET", "/admin/faults", Effect.map(faults.get, (config) => json(200, config)))
  yield* router.add(
    "PUT",
    "/admin/faults",
    jsonBody.pipe(
      Effect.flatMap(decodeFaults),
      Effect.tap(faults.set),
      Effect.match({ onSuccess: (config) => json(200, config), onFailure: errorResponse })
    )
  )
  yield* router.add(
    "POST",
    "/admin/reset",
    Effect.all([ledger.reset, store.reset, faults.reset]).pipe(Effect.as(json(200, { status: "reset" })))
  )
}))
