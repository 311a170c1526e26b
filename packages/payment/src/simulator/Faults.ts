import { Config, Context, Effect, Layer, Random, Schema } from "effect"

const Rate = Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 1 })))
const Millis = Schema.Number.pipe(Schema.check(Schema.isBetween({ minimum: 0, maximum: 600_000 })))
const zeroByDefault = <S extends typeof Rate | typeof Millis>(schema: S) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(0)))

/** The injected faults; a missing field is 0, so `{}` turns every fault off. */
export const FaultConfig = Schema.Struct({
  /** Share of requests answered 500 or 503 without doing anything. */
  error_rate: zeroByDefault(Rate),
  /** Added to every request. */
  latency_ms: zeroByDefault(Millis),
  /** Uniform extra latency in [0, latency_jitter_ms). */
  latency_jitter_ms: zeroByDefault(Millis),
  /** Share of requests never answered; the connection stays open until the client gives up. */
  hang_rate: zeroByDefault(Rate),
  /** Share of charges and refunds performed and stored, whose connection is then destroyed without a reply. */
  drop_after_charge_rate: zeroByDefault(Rate),
  /** Share of requests answered 429 with `Retry-After: 1`. */
  rate_limit_rate: zeroByDefault(Rate),
  /**
   * Share of refunds refused (402 `refund_refused`) without doing anything, the way a processor refuses a refund it
   * will not make (a disputed or closed account): the refusal the payment service parks after REFUND_MAX_ATTEMPTS.
   */
  refund_refusal_rate: zeroByDefault(Rate)
})
export type FaultConfig = typeof FaultConfig.Type

export const noFaults: FaultConfig = {
  error_rate: 0,
  latency_ms: 0,
  latency_jitter_ms: 0,
  hang_rate: 0,
  drop_after_charge_rate: 0,
  rate_limit_rate: 0,
  refund_refusal_rate: 0
}

const fromEnv = (schema: typeof Rate | typeof Millis, name: string) =>
  Config.schema(schema, name).pipe(Config.withDefault(0))

/** Faults at start-up: `SIMULATOR_ERROR_RATE`, `SIMULATOR_LATENCY_MS`, `SIMULATOR_LATENCY_JITTER_MS`, ... */
export const FaultConfigFromEnv: Config.Config<FaultConfig> = Config.all({
  error_rate: fromEnv(Rate, "SIMULATOR_ERROR_RATE"),
  latency_ms: fromEnv(Millis, "SIMULATOR_LATENCY_MS"),
  latency_jitter_ms: fromEnv(Millis, "SIMULATOR_LATENCY_JITTER_MS"),
  hang_rate: fromEnv(Rate, "SIMULATOR_HANG_RATE"),
  drop_after_charge_rate: fromEnv(Rate, "SIMULATOR_DROP_AFTER_CHARGE_RATE"),
  rate_limit_rate: fromEnv(Rate, "SIMULATOR_RATE_LIMIT_RATE"),
  refund_refusal_rate: fromEnv(Rate, "SIMULATOR_REFUND_REFUSAL_RATE")
})

/** What happens to one request, drawn when it arrives. */
export interface FaultDecision {
  readonly latencyMillis: number
  /** Answered instead of the real response (or, for `hang`, never answered). */
  readonly failure: "rate_limit" | "error_500" | "error_503" | "hang" | undefined
  readonly dropAfterCharge: boolean
  /** A refund is refused before anything is done (other requests ignore it). */
  readonly refuseRefund: boolean
}

const noFault: FaultDecision = { latencyMillis: 0, failure: undefined, dropAfterCharge: false, refuseRefund: false }

/**
 * The runtime fault settings and the dice. With a seed the dice are a seeded PRNG, so a test that sends the same
 * requests in the same order sees the same faults; `reset` reseeds it.
 */
export class Faults extends Context.Service<Faults, {
  readonly get: Effect.Effect<FaultConfig>
  readonly set: (config: FaultConfig) => Effect.Effect<void>
  /** Turns every fault off and restarts the seeded sequence. */
  readonly reset: Effect.Effect<void>
  readonly draw: Effect.Effect<FaultDecision>
}>()("@shop/payment/simulator/Faults") {
  static readonly layer = (
    options: { readonly initial?: FaultConfig | undefined; readonly seed?: string | number | undefined } = {}
  ) =>
    Layer.effect(
      Faults,
      Effect.gen(function*() {
        const newRandom = options.seed === undefined
          ? Random.Random
          : Random.withSeed(Random.Random, options.seed)
        let random = yield* newRandom
        let config = noFaults
        const roll = (rate: number) => rate > 0 && random.nextDoubleUnsafe() < rate

        const draw = Effect.sync((): FaultDecision => {
          const c = config
          if (c === noFaults) return noFault
          const jitter = c.latency_jitter_ms > 0 ? random.nextDoubleUnsafe() * c.latency_jitter_ms : 0
          const failure = roll(c.rate_limit_rate)
            ? "rate_limit"
            : roll(c.error_rate)
            ? random.nextDoubleUnsafe() < 0.5 ? "error_500" : "error_503"
            : roll(c.hang_rate)
            ? "hang"
            : undefined
          return {
            latencyMillis: c.latency_ms + jitter,
            failure,
            dropAfterCharge: roll(c.drop_after_charge_rate),
            refuseRefund: roll(c.refund_refusal_rate)
          }
        })

        const faults = Faults.of({
          get: Effect.sync(() => config),
          set: (next) =>
            Effect.sync(() => {
              // Identity with `noFaults` is what keeps `draw` off the dice when every fault is off.
              config = Object.values(next).every((value) => value === 0) ? noFaults : next
            }),
          reset: Effect.map(newRandom, (fresh) => {
            random = fresh
            config = noFaults
          }),
          draw
        })
        if (options.initial !== undefined) yield* faults.set(options.initial)
        return faults
      })
    )
}
