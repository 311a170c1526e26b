import { Topology } from "@shop/service-defaults/Topology"
import { Config, Context, Duration, Effect, Layer } from "effect"

/** Settings of the order service: peers, deadlines and the saga runner's pacing. */
export class OrderConfig extends Context.Service<OrderConfig, {
  readonly productAddress: string
  readonly paymentAddress: string
  readonly callTimeout: Duration.Duration
  readonly reservationTtl: Duration.Duration
  /** A reservation closer than this to its expiry is not charged against. */
  readonly reservationMargin: Duration.Duration
  readonly pollInterval: Duration.Duration
  /** While no saga is due, polling slows down to this (`SAGA_POLL_MAX`, see idlePolling); default: no slowing. */
  readonly maxPollInterval: Duration.Duration
  readonly lease: Duration.Duration
  readonly concurrency: number
  readonly maxAttempts: number
  readonly retryBase: Duration.Duration
  readonly retryCap: Duration.Duration
  /** Consecutive transport failures of a peer (product, payment) that open its circuit. */
  readonly breakerFailureThreshold: number
  /** How long a peer's open circuit fails calls at once before letting one probe through. */
  readonly breakerCooldown: Duration.Duration
  /** A saga that has not moved for this long is shown as stuck on the operator console. */
  readonly stuckAfter: Duration.Duration
}>()("order/OrderConfig") {
  static readonly defaults: OrderConfig["Service"] = {
    productAddress: `127.0.0.1:${Topology.product.grpcPort}`,
    paymentAddress: `127.0.0.1:${Topology.payment.grpcPort}`,
    callTimeout: Duration.seconds(5),
    reservationTtl: Duration.minutes(10),
    reservationMargin: Duration.seconds(30),
    pollInterval: Duration.millis(500),
    maxPollInterval: Duration.millis(500),
    lease: Duration.seconds(30),
    concurrency: 64,
    maxAttempts: 12,
    retryBase: Duration.millis(200),
    retryCap: Duration.seconds(30),
    breakerFailureThreshold: 5,
    breakerCooldown: Duration.seconds(5),
    stuckAfter: Duration.minutes(5)
  }

  static readonly layer = Layer.effect(
    OrderConfig,
    Effect.gen(function*() {
      const d = OrderConfig.defaults
      const duration = (name: string, value: Duration.Duration) => Config.Duration(name).pipe(Config.withDefault(value))
      return OrderConfig.of({
        productAddress: yield* Config.String("PRODUCT_GRPC_ADDR").pipe(Config.withDefault(d.productAddress)),
        paymentAddress: yield* Config.String("PAYMENT_GRPC_ADDR").pipe(Config.withDefault(d.paymentAddress)),
        callTimeout: yield* duration("ORDER_CALL_TIMEOUT", d.callTimeout),
        reservationTtl: yield* duration("ORDER_RESERVATION_TTL", d.reservationTtl),
        reservationMargin: yield* duration("ORDER_RESERVATION_MARGIN", d.reservationMargin),
        pollInterval: yield* duration("SAGA_POLL_INTERVAL", d.pollInterval),
        maxPollInterval: yield* duration("SAGA_POLL_MAX", d.maxPollInterval),
        lease: yield* duration("SAGA_LEASE", d.lease),
        concurrency: yield* Config.Int("SAGA_CONCURRENCY").pipe(Config.withDefault(d.concurrency)),
        maxAttempts: yield* Config.Int("SAGA_MAX_ATTEMPTS").pipe(Config.withDefault(d.maxAttempts)),
        retryBase: yield* duration("SAGA_RETRY_BASE", d.retryBase),
        retryCap: yield* duration("SAGA_RETRY_CAP", d.retryCap),
        breakerFailureThreshold: yield* Config.Int("ORDER_BREAKER_FAILURE_THRESHOLD").pipe(
          Config.withDefault(d.breakerFailureThreshold)
        ),
        breakerCooldown: yield* duration("ORDER_BREAKER_COOLDOWN", d.breakerCooldown),
        stuckAfter: yield* duration("SAGA_STUCK_AFTER", d.stuckAfter)
      })
    })
  )

  static readonly layerWith = (overrides: Partial<OrderConfig["Service"]>) =>
    Layer.succeed(OrderConfig, OrderConfig.of({ ...OrderConfig.defaults, ...overrides }))
}
