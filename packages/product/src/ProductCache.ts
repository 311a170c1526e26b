import type { NotFound, ValidationError } from "@shop/domain"
import { Product } from "@shop/domain/Product"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Metric, Option, Schema } from "effect"
import { createHash } from "node:crypto"
import { CacheStore } from "./CacheStore.ts"
import { CacheVersions } from "./CacheVersions.ts"
import { Catalog, type ListQuery, paging, type ProductPage } from "./Catalog.ts"
import { ProductConfig } from "./ProductConfig.ts"
import { normalizeSearch, Search, type SearchQuery, type SearchResult } from "./Search.ts"
import { makeSingleFlight } from "./SingleFlight.ts"

/** A read and whether it was answered entirely from the cache. */
export interface Cached<A> {
  readonly value: A
  readonly cacheHit: boolean
}

/** Reads answered from the cache, and reads that went to PostgreSQL. */
export const cacheHits = Metric.counter("redis_cache_hits_total", {
  description: "Product reads answered from the cache"
}).pipe(
  Metric.withAttributes({ service: "product" })
)
export const cacheMisses = Metric.counter("redis_cache_misses_total", {
  description: "Product reads that went to PostgreSQL"
})
  .pipe(Metric.withAttributes({ service: "product" }))

const ProductJson = Schema.fromJsonString(Product)
const Facet = Schema.Struct({ category: Schema.String, count: Schema.Int })
const SearchPageJson = Schema.fromJsonString(Schema.Struct({
  ids: Schema.Array(Schema.String),
  total: Schema.Int,
  page: Schema.Int,
  limit: Schema.Int,
  facets: Schema.Array(Facet),
  relaxed: Schema.Boolean
}))
const ListPageJson = Schema.fromJsonString(Schema.Struct({
  ids: Schema.Array(Schema.String),
  total: Schema.Int,
  page: Schema.Int,
  limit: Schema.Int,
  nextCursor: Schema.optional(Schema.String)
}))

const digest = (params: unknown) => createHash("sha256").update(JSON.stringify(params)).digest("base64url").slice(0, 22)

const report = <A>(result: Cached<A>) => Effect.as(Metric.update(result.cacheHit ? cacheHits : cacheMisses, 1), result)
const detailKey = (id: string, token: string) => `d:${id}:${token}`

/**
 * Cache-aside in front of the catalog: product details, listing pages and search pages, in Redis or in memory.
 *
 * - Keys carry version tokens ({@link CacheVersions}), so a create, update, reservation, commit, release or expiry
 *   makes the affected entries unreachable and a stale page is never served; entries also expire after `cacheTtl`.
 * - Pages store product ids only; their products are read through the per-product entries, so stock movements
 *   invalidate one product's entry, not every page that shows it.
 * - Stampedes: concurrent misses of one key in this process share one load (single flight). There is no Redis lock
 *   across replicas: at most one load per key per replica, which the database absorbs, against a lock round trip on
 *   every miss and waiters polling for it.
 * - A cache that fails (Redis down, slow, evicting) only turns reads into misses served from PostgreSQL.
 */
export class ProductCache extends Context.Service<ProductCache, {
  readonly getProduct: (id: string) => Effect.Effect<Cached<Product>, NotFound>
  readonly list: (query: ListQuery) => Effect.Effect<Cached<ProductPage>, ValidationError>
  readonly search: (query: SearchQuery) => Effect.Effect<Cached<SearchResult>, ValidationError>
}>()("product/ProductCache") {
  static readonly layer = Layer.effect(
    ProductCache,
    Effect.gen(function*() {
      const store = yield* CacheStore
      const versions = yield* CacheVersions
      const catalog = yield* Catalog
      const searcher = yield* Search
      const { cacheTtl } = yield* ProductConfig
      const singleFlight = yield* makeSingleFlight

      const write = (key: string, value: string) => Effect.ignore(store.set(key, value, cacheTtl))
      const read = <A>(key: string, decode: (text: string) => Option.Option<A>) =>
        store.getMany([key]).pipe(
          Effect.map(([text]) => Option.flatMap(Option.fromUndefinedOr(text), decode)),
          Effect.orElseSucceed(Option.none<A>)
        )
      const decodeProduct = Schema.decodeUnknownOption(ProductJson)
      const encodeProduct = Schema.encodeSync(ProductJson)

      /** The products of `ids` in order, from their entries where present, the rest in one query (then cached). */
      const productsOf = (ids: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const tokens = yield* Effect.option(versions.products(ids))
          if (Option.isNone(tokens)) return { value: yield* catalog.getMany(ids), cacheHit: false }
          const keys = ids.map((id, i) => detailKey(id, tokens.value[i]!))
          const texts = yield* store.getMany(keys).pipe(Effect.orElseSucceed(() => keys.map(() => undefined)))
          const found = texts.map((text) => text === undefined ? undefined : Option.getOrUndefined(decodeProduct(text)))
          const loaded = yield* catalog.getMany(ids.filter((_, i) => found[i] === undefined))
          const byId = new Map(loaded.map((product) => [product.id as string, product]))
          yield* Effect.ignore(store.setMany(
            ids.flatMap((id, i) => {
              const product = found[i] === undefined ? byId.get(id) : undefined
              return product === undefined ? [] : [[keys[i]!, encodeProduct(product)] as const]
            }),
            cacheTtl
          ))
          return {
            value: ids.flatMap((id, i) => found[i] ?? byId.get(id) ?? []),
            cacheHit: found.every((product) => product !== undefined)
          }
        })

      /** A page of ids under the catalog token: from its entry, or loaded once per key and cached. */
      const page = <P, I>(
        kind: string,
        params: unknown,
        codec: Schema.Codec<P, string, never, never>,
        load: Effect.Effect<P, I>
      ) =>
        Effect.gen(function*() {
          const token = yield* Effect.option(versions.catalog)
          if (Option.isNone(token)) return { value: yield* load, cacheHit: false }
          const key = `${kind}:${token.value}:${digest(params)}`
          const cached = yield* read(key, Schema.decodeUnknownOption(codec))
          if (Option.isSome(cached)) return { value: cached.value, cacheHit: true }
          const encode = Schema.encodeSync(codec)
          const loaded = yield* singleFlight(key, Effect.tap(load, (value) => write(key, encode(value))))
          return { value: loaded, cacheHit: false }
        })

      const getProduct = traced("ProductCache.getProduct")(function*(id: string) {
        const token = yield* Effect.option(versions.products([id]))
        if (Option.isNone(token)) return yield* report({ value: yield* catalog.get(id), cacheHit: false })
        const key = detailKey(id, token.value[0]!)
        const cached = yield* read(key, decodeProduct)
        if (Option.isSome(cached)) return yield* report({ value: cached.value, cacheHit: true })
        const product = yield* singleFlight(key, Effect.tap(catalog.get(id), (p) => write(key, encodeProduct(p))))
        return yield* report({ value: product, cacheHit: false })
      })

      const list = traced("ProductCache.list")(function*(query: ListQuery) {
        const { limit, page: pageNumber } = yield* paging(query.page, query.limit)
        const params = {
          page: pageNumber,
          limit,
          sort: query.sort ?? "created_at_desc",
          ...(query.cursor ? { cursor: query.cursor } : {}),
          ...(query.category ? { category: query.category } : {})
        } satisfies ListQuery
        const listed = yield* page(
          "list",
          params,
          ListPageJson,
          Effect.map(catalog.list(params), ({ products, ...rest }) => ({ ...rest, ids: products.map((p) => p.id) }))
        )
        const { ids, nextCursor, ...rest } = listed.value
        const found = yield* productsOf(ids)
        const value: ProductPage = { ...rest, nextCursor, products: found.value }
        return yield* report({ value, cacheHit: listed.cacheHit && found.cacheHit })
      })

      const search = traced("ProductCache.search")(function*(query: SearchQuery) {
        const normalized = yield* normalizeSearch(query)
        const searched = yield* page("search", normalized, SearchPageJson, searcher.searchIds(normalized))
        const { ids, ...rest } = searched.value
        const found = yield* productsOf(ids)
        return yield* report({
          value: { ...rest, products: found.value },
          cacheHit: searched.cacheHit && found.cacheHit
        })
      })

      return ProductCache.of({ getProduct, list, search })
    })
  )
}
