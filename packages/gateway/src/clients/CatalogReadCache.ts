import type { ListProductsQuery, ProductId, SearchProductsQuery } from "@shop/domain"
import { Cache, Clock, Config, Duration, Effect, Exit, Layer } from "effect"
import { HotReads } from "../edge/HotReads.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { ProductClient } from "./ProductClient.ts"

/** A value of the product service and when it arrived: its entry here expires a TTL after that. */
interface Fetched<A> {
  readonly value: A
  readonly fetchedAt: number
}

const fetched = <A, E>(lookup: Effect.Effect<A, E>): Effect.Effect<Fetched<A>, E> =>
  Effect.flatMap(lookup, (value) => Effect.map(Clock.currentTimeMillis, (fetchedAt) => ({ value, fetchedAt })))

/**
 * Hot catalog reads answered from the gateway's memory for a short time (`CATALOG_CACHE_TTL`, default 1 s; `0`
 * turns it off), so that a popular product or search costs one gRPC call per second per gateway instead of one per
 * request: the gRPC hop is the most expensive step of a read (architecture.md).
 *
 * What it may serve stale, and for how long: a product's price, text and available stock, for at most the TTL after
 * a change made through another gateway instance (this instance drops its entries on every catalog write it
 * forwards). Orders never read it: stock is reserved against the product service, so a stale "available" can
 * disappoint a shopper but never oversell. Failures are not cached; concurrent misses of one key share one call.
 *
 * Each answer it gives tells the edge until when its entry lives (RequestRoute's `freshUntil`), so that the encoded
 * answer can be sent again by the hot path (HotReads) for exactly as long; a catalog write drops those too.
 */
export const CatalogReadCache = Layer.effect(
  ProductClient,
  Effect.gen(function*() {
    const upstream = yield* ProductClient
    const hotReads = yield* HotReads
    const ttl = yield* Config.Duration("CATALOG_CACHE_TTL").pipe(
      Config.orElse(() => Config.map(Config.Literal("0", "CATALOG_CACHE_TTL"), () => Duration.zero)),
      Config.withDefault(Duration.seconds(1))
    )
    const capacity = yield* Config.Int("CATALOG_CACHE_CAPACITY").pipe(Config.withDefault(10_000))
    if (Duration.isZero(ttl)) return upstream

    const ttlMillis = Duration.toMillis(ttl)
    const timeToLive = (exit: Exit.Exit<unknown, unknown>) => Exit.isSuccess(exit) ? ttl : Duration.zero
    // Queries are decoded from a URL: plain strings and numbers, so their JSON text is an exact key and parses back
    // to the same query.
    const details = yield* Cache.makeWith((id: ProductId) => fetched(upstream.get(id)), { capacity, timeToLive })
    const lists = yield* Cache.makeWith(
      (key: string) => fetched(upstream.list(JSON.parse(key) as ListProductsQuery)),
      { capacity, timeToLive }
    )
    const searches = yield* Cache.makeWith(
      (key: string) => fetched(upstream.search(JSON.parse(key) as SearchProductsQuery)),
      { capacity, timeToLive }
    )
    const forgetAll = Effect.all([
      Cache.invalidateAll(details),
      Cache.invalidateAll(lists),
      Cache.invalidateAll(searches),
      Effect.sync(hotReads.forgetAll)
    ])

    /** The entry's value, after telling the edge how long it lives. */
    const answer = <A>(entry: Fetched<A>) =>
      Effect.gen(function*() {
        ;(yield* RequestRoute).freshUntil = entry.fetchedAt + ttlMillis
        return entry.value
      })

    // A detail or a search served from here says so in `cache_hit`, as one served from the product service's cache
    // does. The first reader of a key gets the product service's own answer; every later one within the TTL is a hit.
    const served = <A extends { readonly cache_hit: boolean }, K, E>(cache: Cache.Cache<K, Fetched<A>, E>, key: K) =>
      Effect.flatMap(Cache.getOption(cache, key), (cached) =>
        cached._tag === "Some"
          ? answer({
            ...cached.value,
            value: cached.value.value.cache_hit ? cached.value.value : { ...cached.value.value, cache_hit: true }
          })
          : Effect.flatMap(Cache.get(cache, key), answer))

    return ProductClient.of({
      get: (id) => served(details, id),
      list: (query) => Effect.flatMap(Cache.get(lists, JSON.stringify(query)), answer),
      search: (query) => served(searches, JSON.stringify(query)),
      create: (input) => Effect.ensuring(upstream.create(input), forgetAll),
      update: (id, patch) => Effect.ensuring(upstream.update(id, patch), forgetAll)
    })
  })
)
