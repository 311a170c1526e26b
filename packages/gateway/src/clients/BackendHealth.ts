import type { BackendHealth as BackendHealthJson } from "@shop/domain"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcHealth from "@shop/service-defaults/grpc/GrpcHealth"
import { Context, Duration, Effect, Layer } from "effect"
import { HttpClient } from "effect/http"
import { GatewayConfig } from "../GatewayConfig.ts"

/** Health of every backend, asked over their own health protocols (gRPC health; HTTP readiness for notification). */
export class BackendHealth extends Context.Service<BackendHealth, {
  readonly check: Effect.Effect<Readonly<Record<"product" | "order" | "payment" | "notification", BackendHealthJson>>>
}>()("gateway/BackendHealth") {
  static readonly layer = Layer.effect(
    BackendHealth,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const http = yield* HttpClient.HttpClient
      const deadline = Duration.seconds(1)
      // One long-lived channel per backend: health probes must not pay a TCP handshake each time.
      const [product, order, payment] = yield* Effect.all([
        GrpcClient.make({ address: config.productAddress, service: "product" }),
        GrpcClient.make({ address: config.orderAddress, service: "order" }),
        GrpcClient.make({ address: config.paymentAddress, service: "payment" })
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
          payment: timed(GrpcHealth.checkWith(payment.client, "", deadline)),
          notification: timed(notification)
        }, { concurrency: "unbounded" })
      })
    })
  )
}
