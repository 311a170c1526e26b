import { Topology } from "@shop/service-defaults/Topology"
import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { ByteSize, Config, Context, Duration, Effect, Layer, Option } from "effect"
import type { BlockList } from "node:net"
import { type CorsPolicy, corsPolicyFromConfig } from "./edge/CorsPolicy.ts"
import { publicBaseUrlFromConfig } from "./edge/PublicUrl.ts"
import { parseTrustedProxies } from "./ratelimit/ClientKey.ts"

/** `TRUSTED_PROXIES`, parsed; the retired `TRUST_PROXY=true` (believe any peer's header) is refused with a pointer. */
const trustedProxies = Effect.gen(function*() {
  if (Option.isSome(yield* Config.String("TRUST_PROXY").pipe(Config.option))) {
    return yield* new UnsafeSetting({
      setting: "TRUST_PROXY",
      detail: "is no longer read: name your proxies with TRUSTED_PROXIES (addresses or CIDR blocks)"
    })
  }
  const text = yield* Config.String("TRUSTED_PROXIES").pipe(Config.withDefault(""))
  const parsed = parseTrustedProxies(text)
  if (typeof parsed === "string") return yield* new UnsafeSetting({ setting: "TRUSTED_PROXIES", detail: parsed })
  return text.trim() === "" ? undefined : parsed
})

/** Where the gateway listens, where its backends are, and the limits of one request. */
export class GatewayConfig extends Context.Service<GatewayConfig, {
  readonly host: string
  readonly port: number
  readonly productAddress: string
  readonly orderAddress: string
  /** The notification service's gRPC address: its admin service (dead letters, consumer lag). */
  readonly notificationAddress: string
  readonly notificationAdminUrl: string
  /** Deadline of catalog and order reads. */
  readonly readDeadline: Duration.Duration
  /** Deadline of catalog writes. */
  readonly writeDeadline: Duration.Duration
  /** Deadline of `POST /api/v1/orders`: the saga may answer 202 before it. */
  readonly orderCreateDeadline: Duration.Duration
  /** Largest accepted request body. */
  readonly bodyLimit: ByteSize.ByteSize
  /** The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed (`TRUSTED_PROXIES`); none: no one's. */
  readonly trustedProxies: BlockList | undefined
  /** Time allowed to receive a request's headers and body (`HTTP_READ_TIMEOUT`); slower clients get a 408. */
  readonly readTimeout: Duration.Duration
  /** Where clients reach the API (`PUBLIC_BASE_URL`), for absolute `Link` and `Location` URLs; unset: the Host. */
  readonly publicBaseUrl: string | undefined
  /** Browser origins allowed to call the API from another origin (`CORS_ALLOWED_ORIGINS`). */
  readonly cors: CorsPolicy
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
        notificationAddress: yield* Config.String("NOTIFICATION_GRPC_ADDR").pipe(
          Config.withDefault(`127.0.0.1:${Topology.notification.grpcPort}`)
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
        trustedProxies: yield* trustedProxies,
        readTimeout: yield* Config.Duration("HTTP_READ_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10))),
        publicBaseUrl: yield* publicBaseUrlFromConfig,
        cors: yield* corsPolicyFromConfig
      })
    })
  )
}
