import { Topology } from "@shop/service-defaults/Topology"
import { Config, Context, Effect, Layer } from "effect"

/** Where the gateway listens and where its backends are. */
export class GatewayConfig extends Context.Service<GatewayConfig, {
  readonly host: string
  readonly port: number
  readonly productAddress: string
  readonly orderAddress: string
  readonly paymentAddress: string
  readonly notificationAdminUrl: string
}>()("gateway/GatewayConfig") {
  static readonly layer = Layer.effect(
    GatewayConfig,
    Effect.gen(function*() {
      return GatewayConfig.of({
        host: yield* Config.String("HTTP_HOST").pipe(Config.withDefault("0.0.0.0")),
        port: yield* Config.Port("HTTP_PORT").pipe(Config.withDefault(Topology.gateway.httpPort)),
        productAddress: yield* Config.String("PRODUCT_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.product.grpcPort}`)
        ),
        orderAddress: yield* Config.String("ORDER_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.order.grpcPort}`)
        ),
        paymentAddress: yield* Config.String("PAYMENT_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.payment.grpcPort}`)
        ),
        notificationAdminUrl: yield* Config.String("NOTIFICATION_ADMIN_URL").pipe(
          Config.withDefault(`http://127.0.0.1:${Topology.notification.adminPort}`)
        )
      })
    })
  )
}
