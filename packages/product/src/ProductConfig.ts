import { RedisKeyPrefix } from "@shop/service-defaults/Redis"
import { Config, Context, Duration, Effect, Layer, Option } from "effect"

/** Tunables of the product service, read from the environment with local-development defaults. */
export interface ProductSettings {
  /** How long a reservation holds stock when the caller gives no TTL (`RESERVATION_TTL`). */
  readonly reservationTtl: Duration.Duration
  /** The longest TTL a caller may ask for (`RESERVATION_MAX_TTL`). */
  readonly reservationMaxTtl: Duration.Duration
  /** How often expired reservations are released (`RESERVATION_SWEEP_INTERVAL`). */
  readonly sweepInterval: Duration.Duration
  /** Reservations expired per sweeper transaction (`RESERVATION_SWEEP_BATCH`). */
  readonly sweepBatchSize: number
  /** How long the stock folder lets commits gather after one woke it, before it folds them (`STOCK_FOLD_DELAY`). */
  readonly foldDelay: Duration.Duration
  /** How often the stock folder looks for sales no commit of its process told it of (`STOCK_FOLD_POLL`). */
  readonly foldPoll: Duration.Duration
  /** Lifetime of cached product details and result pages (`PRODUCT_CACHE_TTL`). */
  readonly cacheTtl: Duration.Duration
  /** `REDIS_URL`; none means the in-memory cache (embedded mode). */
  readonly redisUrl: Option.Option<string>
  /** Prefix of every cache key (`PRODUCT_CACHE_PREFIX`, default `REDIS_KEY_PREFIX` + `product:`). */
  readonly cachePrefix: string
  /** Budget of one Redis command before the read falls back to PostgreSQL (`REDIS_COMMAND_TIMEOUT`). */
  readonly redisCommandTimeout: Duration.Duration
  /** `pg_trgm.strict_word_similarity_threshold` for typo-tolerant name matching (`SEARCH_SIMILARITY_THRESHOLD`). */
  readonly similarityThreshold: number
  /** How often the catalog epoch (moved by writes outside the service, e.g. the seed) is read (`CATALOG_EPOCH_POLL`). */
  readonly catalogEpochPoll: Duration.Duration
}

/** Defaults; tests override single fields with `ProductConfig.layerWith`. */
export const defaultSettings: ProductSettings = {
  reservationTtl: Duration.minutes(15),
  reservationMaxTtl: Duration.hours(24),
  sweepInterval: Duration.seconds(10),
  sweepBatchSize: 500,
  foldDelay: Duration.millis(50),
  foldPoll: Duration.seconds(10),
  cacheTtl: Duration.minutes(5),
  redisUrl: Option.none(),
  cachePrefix: "shop:product:",
  redisCommandTimeout: Duration.millis(150),
  // 0.35 lets "mose" reach "Mouse" (0.375) while "Mosaic" (0.33) stays out; the pg_trgm default 0.5 misses typos
  similarityThreshold: 0.35,
  catalogEpochPoll: Duration.seconds(1)
}

const duration = (name: string, fallback: Duration.Duration) => Config.Duration(name).pipe(Config.withDefault(fallback))

/** The product service's configuration. */
export class ProductConfig extends Context.Service<ProductConfig, ProductSettings>()("product/ProductConfig") {
  static readonly layer = Layer.effect(
    ProductConfig,
    Effect.gen(function*() {
      const d = defaultSettings
      return ProductConfig.of({
        reservationTtl: yield* duration("RESERVATION_TTL", d.reservationTtl),
        reservationMaxTtl: yield* duration("RESERVATION_MAX_TTL", d.reservationMaxTtl),
        sweepInterval: yield* duration("RESERVATION_SWEEP_INTERVAL", d.sweepInterval),
        sweepBatchSize: yield* Config.Int("RESERVATION_SWEEP_BATCH").pipe(Config.withDefault(d.sweepBatchSize)),
        foldDelay: yield* duration("STOCK_FOLD_DELAY", d.foldDelay),
        foldPoll: yield* duration("STOCK_FOLD_POLL", d.foldPoll),
        cacheTtl: yield* duration("PRODUCT_CACHE_TTL", d.cacheTtl),
        redisUrl: yield* Config.String("REDIS_URL").pipe(Config.option),
        cachePrefix: yield* Config.String("PRODUCT_CACHE_PREFIX").pipe(
          Config.withDefault(`${yield* RedisKeyPrefix}product:`)
        ),
        redisCommandTimeout: yield* duration("REDIS_COMMAND_TIMEOUT", d.redisCommandTimeout),
        similarityThreshold: yield* Config.Number("SEARCH_SIMILARITY_THRESHOLD").pipe(
          Config.withDefault(d.similarityThreshold)
        ),
        catalogEpochPoll: yield* duration("CATALOG_EPOCH_POLL", d.catalogEpochPoll)
      })
    })
  )

  /** The defaults with some fields replaced, without reading the environment. */
  static readonly layerWith = (overrides: Partial<ProductSettings>) =>
    Layer.succeed(ProductConfig, ProductConfig.of({ ...defaultSettings, ...overrides }))
}
