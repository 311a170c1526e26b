import type { ListProductsQuery, SearchProductsQuery } from "@shop/domain"
import { Cache, Config, Duration, Effect, Exit, Layer } from "effect"
import { ProductClient } from "./ProductClient.ts"

/**
 * Hot catalog reads answered from the gateway's memory for a short time (`CATALOG_CACHE_TTL`, default 1 s; `0`
 * turns it off), so that a popular product or search costs one gRPC call per second per gateway instead of one per
 * request: the gRPC hop is the most expensive step of a read (architecture.md).
 *
 * What it may serve stale, and for how long: a product's price, text and available stock, for at most the TTL after
 * a change made through another gateway instance (this instance drops its entries on every catalog write it
 * forwards). Orders never read it: stock is reserved against the product service, so a stale "available" can
 * disappoint a shopper but never oversell. Failures are not cached; concurrent misses of one key share one call.
 */
export const CatalogReadCache = Layer.effect(
  ProductClient,
  Effect.gen(function*() {
    const upstream = yield* ProductClient
    const ttl = yield* Config.Duration("CATALOG_CACHE_TTL").pipe(
      Config.orElse(() => Config.map(Config.Literal("0", "CATALOG_CACHE_TTL"), () => Duration.zero)),
      Config.withDefault(Duration.seconds(1))
    )
    const capacity = yield* Config.Int("CATALOG_CACHE_CAPACITY").pipe(Config.withDefault(10_000))
    if (Duration.isZero(ttl)) return upstream

    const timeToLive = (exit: Exit.Exit<unknown, unknown>) => Exit.isSuccess(exit) ? ttl : Duration.zero
    // Queries are decoded from a URL: plain strings and numbers, so their JSON text is an exact key and parses back
    // to the same query.
    const details = yield* Cache.makeWith(upstream.get, { capacity, timeToLive })
    const lists = yield* Cache.makeWith(
      (key: string) => upstream.list(JSON.parse(key) as ListProductsQuery),
      { capacity, timeToLive }
    )
    const searches = yield* Cache.makeWith(
      (key: string) => upstream.search(JSON.parse(key) as SearchProductsQuery),
      { capacity, timeToLive }
    )
    const forgetAll = Effect.all([
      Cache.invalidateAll(details),
      Cache.invalidateAll(lists),
      Cache.invalidateAll(searches)
    ])

    // A detail or a search served from here says so in `cache_hit`, as one served from the product service's cache
    // does. The first reader of a key gets the product service's own answer; every later one within the TTL is a hit.
    const served = <A extends { readonly cache_hit: boolean }, K, E>(cache: Cache.Cache<K, A, E>, key: K) =>
      Effect.flatMap(Cache.getOption(cache, key), (cached) =>
        cached._tag === "Some"
          ? Effect.succeed(cached.value.cache_hit ? cached.value : { ...cached.value, cache_hit: true })
          : Cache.get(cache, key))

    return ProductClient.of({
      get: (id) => served(details, id),
      list: (query) => Cache.get(lists, JSON.stringify(query)),
      search: (query) => served(searches, JSON.stringify(query)),
      create: (input) => Effect.ensuring(upstream.create(input), forgetAll),
      update: (id, patch) => Effect.ensuring(upstream.update(id, patch), forgetAll)
    })
  })
)
