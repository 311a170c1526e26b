import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import * as GrpcHealth from "@shop/service-defaults/grpc/GrpcHealth"
import { Context, Duration, Effect, Layer } from "effect"
import { HttpClient } from "effect/http"
import { GatewayConfig } from "../GatewayConfig.ts"

/** What the gateway knows of one backend's health. */
export type BackendStatus = GrpcHealth.HealthCheckResult

/** Health of every backend, asked over their own health protocols (gRPC health; HTTP readiness for notification). */
export class BackendHealth extends Context.Service<BackendHealth, {
  readonly check: Effect.Effect<Readonly<Record<"product" | "order" | "payment" | "notification", BackendStatus>>>
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
      const notification = http.get(`${config.notificationAdminUrl}/readyz`).pipe(
        Effect.map((response): BackendStatus => response.status === 200 ? "SERVING" : "NOT_SERVING"),
        Effect.timeoutOrElse({ duration: deadline, orElse: () => Effect.succeed<BackendStatus>("UNREACHABLE") }),
        Effect.catch(() => Effect.succeed<BackendStatus>("UNREACHABLE"))
      )
      return BackendHealth.of({
        check: Effect.all({
          product: GrpcHealth.checkWith(product.client, "", deadline),
          order: GrpcHealth.checkWith(order.client, "", deadline),
          payment: GrpcHealth.checkWith(payment.client, "", deadline),
          notification
        }, { concurrency: "unbounded" })
      })
    })
  )
}
