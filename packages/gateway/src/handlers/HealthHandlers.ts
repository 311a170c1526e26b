import { ShopApi, Unhealthy } from "@shop/domain"
import { DateTime, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { BackendHealth, requiredBackends } from "../clients/BackendHealth.ts"

/**
 * `GET /healthz` on the public port: 200 ok, 200 degraded (an optional backend is down) or 503 (a required one is
 * down), and nothing more: which backend, its address and its latency are on the admin port (`/backends`).
 */
export const HealthHandlers = HttpApiBuilder.group(ShopApi, "health", (handlers) =>
  Effect.gen(function*() {
    const health = yield* BackendHealth
    return handlers.handle("check", () =>
      Effect.gen(function*() {
        const services = yield* health.check
        const checked_at = yield* DateTime.now
        const down = Object.entries(services).filter(([, backend]) => backend.status === "down")
        if (down.some(([name]) => requiredBackends.has(name))) {
          return yield* new Unhealthy({ detail: "a backend the gateway needs is down", checked_at })
        }
        return { status: down.length === 0 ? "ok" as const : "degraded" as const, checked_at }
      }))
  }))
