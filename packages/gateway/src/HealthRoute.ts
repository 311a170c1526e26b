import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { BackendHealth } from "./clients/BackendHealth.ts"

/** `GET /healthz`: the platform's health as the gateway sees it; 503 when any backend is not serving. */
export const HealthRoute = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const health = yield* BackendHealth
  yield* router.add(
    "GET",
    "/healthz",
    Effect.gen(function*() {
      const backends = yield* health.check
      const healthy = Object.values(backends).every((status) => status === "SERVING")
      return HttpServerResponse.jsonUnsafe(
        { status: healthy ? "ok" : "degraded", backends },
        { status: healthy ? 200 : 503 }
      )
    })
  )
})).pipe(Layer.provide(BackendHealth.layer))
