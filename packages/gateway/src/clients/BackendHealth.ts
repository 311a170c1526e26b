import type { BackendHealth as BackendHealthJson } from "@shop/domain"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcHealth from "@shop/service-defaults/grpc/GrpcHealth"
import { Context, DateTime, Duration, Effect, Layer } from "effect"
import { HttpClient, HttpRouter, HttpServerResponse } from "effect/http"
import { GatewayConfig } from "../GatewayConfig.ts"

/** The backends without which the gateway cannot serve its API; notification only delays emails. */
export const requiredBackends: ReadonlySet<string> = new Set(["product", "order"])

/**
 * Health of the backends the gateway talks to, asked over their own health protocols (gRPC health for product and
 * order; HTTP readiness for notification). Payment is not among them: only order calls it (see CallerPolicy), and
 * order's readiness covers what the gateway depends on.
 */
export class BackendHealth extends Context.Service<BackendHealth, {
  readonly check: Effect.Effect<Readonly<Record<"product" | "order" | "notification", BackendHealthJson>>>
}>()("gateway/BackendHealth") {
  static readonly layer = Layer.effect(
    BackendHealth,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const http = yield* HttpClient.HttpClient
      const deadline = Duration.seconds(1)
      // One long-lived channel per backend: health probes must not pay a TCP handshake each time.
      const [product, order] = yield* Effect.all([
        GrpcClient.make({ address: config.productAddress, service: "product" }),
        GrpcClient.make({ address: config.orderAddress, service: "order" })
      ])
      const timed = (probe: Effect.Effect<GrpcHealth.HealthCheckResult>) =>
        Effect.gen(function*() {
          const started = performance.now()
          const result = yield* probe
          const latency_ms = Math.round((performance.now() - started) * 100) / 100
          return result === "SERVING"
            ? { status: "up" as const, latency_ms }
            : { status: "down" as const, latency_ms, detail: result.toLowerCase() }
        })
      const notification = http.get(`${config.notificationAdminUrl}/readyz`).pipe(
        Effect.map((response): GrpcHealth.HealthCheckResult => response.status === 200 ? "SERVING" : "NOT_SERVING"),
        Effect.timeoutOrElse({
          duration: deadline,
          orElse: () => Effect.succeed<GrpcHealth.HealthCheckResult>("UNREACHABLE")
        }),
        Effect.catch(() => Effect.succeed<GrpcHealth.HealthCheckResult>("UNREACHABLE"))
      )
      return BackendHealth.of({
        check: Effect.all({
          product: timed(GrpcHealth.checkWith(product.client, "", deadline)),
          order: timed(GrpcHealth.checkWith(order.client, "", deadline)),
          notification: timed(notification)
        }, { concurrency: "unbounded" })
      })
    })
  )
}

/** `GET /backends` on the gateway's admin port: the health of each backend, with latencies and failure details. */
export const BackendsRoute = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const health = yield* BackendHealth
  yield* router.add(
    "GET",
    "/backends",
    Effect.gen(function*() {
      const services = yield* health.check
      const down = Object.entries(services).filter(([, backend]) => backend.status === "down").map(([name]) => name)
      const status = down.some((name) => requiredBackends.has(name)) ? "down" : down.length > 0 ? "degraded" : "ok"
      return HttpServerResponse.jsonUnsafe(
        { status, checked_at: DateTime.formatIso(yield* DateTime.now), services },
        { status: status === "down" ? 503 : 200 }
      )
    })
  )
}))
