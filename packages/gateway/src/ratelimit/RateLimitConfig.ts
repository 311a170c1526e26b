import { Config, Context, Duration, Effect, Layer, Schema, SchemaIssue, SchemaTransformation } from "effect"

/** The budgets the gateway keeps apart: a burst of catalog reads must not eat a client's order budget. */
export const RouteClasses = ["catalog-read", "order-write", "order-read", "admin-write"] as const
export type RouteClass = (typeof RouteClasses)[number]

/** A budget of `limit` requests per `window`. */
export interface Quota {
  readonly limit: number
  readonly window: Duration.Duration
}

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 }

/** `600/1m`, `10/30s` or `5000/1h`. */
export const QuotaFromString = Schema.String.pipe(Schema.decodeTo(
  Schema.Struct({ limit: Schema.Int, window: Schema.Duration }),
  SchemaTransformation.transformEffect({
    decode: (input, options) => {
      const match = /^\s*(\d+)\s*\/\s*(\d*)\s*([smh])\s*$/.exec(input)
      const limit = Number(match?.[1])
      const count = match?.[2] === "" ? 1 : Number(match?.[2])
      if (match === null || limit < 1 || count < 1) {
        return Effect.fail(
          new SchemaIssue.InvalidValue({ expected: "<limit>/<n><s|m|h>, e.g. 600/1m" }, input, options)
        )
      }
      return Effect.succeed({ limit, window: Duration.millis(count * units[match[3]!]!) })
    },
    encode: (quota) => Effect.succeed(`${quota.limit}/${Duration.toSeconds(quota.window)}s`)
  })
))

const defaults: Record<RouteClass, string> = {
  "catalog-read": "600/1m",
  "order-write": "60/1m",
  "order-read": "300/1m",
  "admin-write": "120/1m"
}

const envName = (routeClass: RouteClass) => `RATE_LIMIT_${routeClass.replace("-", "_").toUpperCase()}`

/**
 * One quota per route class, from `RATE_LIMIT_CATALOG_READ`, `RATE_LIMIT_ORDER_WRITE`, ...; the bound of the
 * bucket store (`RATE_LIMIT_MAX_KEYS`) and how often buckets are reconciled through Redis
 * (`RATE_LIMIT_SYNC_INTERVAL`).
 */
export class RateLimitConfig extends Context.Service<RateLimitConfig, {
  readonly quotas: Readonly<Record<RouteClass, Quota>>
  readonly maxKeys: number
  readonly syncInterval: Duration.Duration
}>()("gateway/RateLimitConfig") {
  static readonly layer = Layer.effect(
    RateLimitConfig,
    Effect.gen(function*() {
      const entries = yield* Effect.forEach(
        RouteClasses,
        (routeClass) =>
          Config.schema(QuotaFromString, envName(routeClass)).pipe(
            Config.withDefault(Schema.decodeSync(QuotaFromString)(defaults[routeClass])),
            Effect.map((quota) => [routeClass, quota] as const)
          )
      )
      return RateLimitConfig.of({
        quotas: Object.fromEntries(entries) as Record<RouteClass, Quota>,
        maxKeys: yield* Config.Int("RATE_LIMIT_MAX_KEYS").pipe(Config.withDefault(100_000)),
        syncInterval: yield* Config.Duration("RATE_LIMIT_SYNC_INTERVAL").pipe(
          Config.withDefault(Duration.millis(100))
        )
      })
    })
  )
}
