import { Topology } from "@shop/service-defaults/Topology"
import { ByteSize, Config, Context, Duration, Effect, Layer } from "effect"

/** Where the gateway listens, where its backends are, and the limits of one request. */
export class GatewayConfig extends Context.Service<GatewayConfig, {
  readonly host: string
  readonly port: number
  readonly productAddress: string
  readonly orderAddress: string
  readonly notificationAdminUrl: string
  /** Deadline of catalog and order reads. */
  readonly readDeadline: Duration.Duration
  /** Deadline of catalog writes. */
  readonly writeDeadline: Duration.Duration
  /** Deadline of `POST /api/v1/orders`: the saga may answer 202 before it. */
  readonly orderCreateDeadline: Duration.Duration
  /** Largest accepted request body. */
  readonly bodyLimit: ByteSize.ByteSize
  /** Whether `X-Forwarded-For` names the client (only behind a proxy that sets it). */
  readonly trustProxy: boolean
}>()("gateway/GatewayConfig") {
  static readonly layer = Layer.effect(
    GatewayConfig,
    Effect.gen(function*() {
      return GatewayConfig.of({
        host: yield* Config.String("HTTP_HOST").pipe(Config.withDefault("127.0.0.1")),
        port: yield* Config.Port("HTTP_PORT").pipe(Config.withDefault(Topology.gateway.httpPort)),
        productAddress: yield* Config.String("PRODUCT_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.product.grpcPort}`)
        ),
        orderAddress: yield* Config.String("ORDER_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.order.grpcPort}`)
        ),
        notificationAdminUrl: yield* Config.String("NOTIFICATION_ADMIN_URL").pipe(
          Config.withDefault(`http://127.0.0.1:${Topology.notification.adminPort}`)
        ),
        readDeadline: yield* Config.Duration("READ_DEADLINE").pipe(Config.withDefault(Duration.seconds(1))),
        writeDeadline: yield* Config.Duration("WRITE_DEADLINE").pipe(Config.withDefault(Duration.seconds(2))),
        orderCreateDeadline: yield* Config.Duration("ORDER_CREATE_DEADLINE").pipe(
          Config.withDefault(Duration.seconds(3))
        ),
        bodyLimit: ByteSize.bytes(yield* Config.Int("BODY_LIMIT").pipe(Config.withDefault(64 * 1024))),
        trustProxy: yield* Config.Boolean("TRUST_PROXY").pipe(Config.withDefault(false))
      })
    })
  )
}
