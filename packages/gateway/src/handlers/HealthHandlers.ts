import { ShopApi, Unhealthy } from "@shop/domain"
import { DateTime, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { BackendHealth } from "../clients/BackendHealth.ts"

// Without these the platform cannot take an order; notification only delays emails.
const required = new Set(["product", "order", "payment"])

/** `GET /healthz`: 200 ok, 200 degraded (an optional backend is down) or 503 (a required one is down). */
export const HealthHandlers = HttpApiBuilder.group(ShopApi, "health", (handlers) =>
  Effect.gen(function*() {
    const health = yield* BackendHealth
    return handlers.handle("check", () =>
      Effect.gen(function*() {
        const services = yield* health.check
        const checked_at = yield* DateTime.now
        const down = Object.entries(services).filter(([, backend]) => backend.status === "down")
        const requiredDown = down.filter(([name]) => required.has(name)).map(([name]) => name)
        if (requiredDown.length > 0) {
          return yield* new Unhealthy({ detail: `down: ${requiredDown.join(", ")}`, checked_at, services })
        }
        return { status: down.length === 0 ? "ok" as const : "degraded" as const, checked_at, services }
      }))
  }))
