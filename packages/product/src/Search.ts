import { ValidationError } from "@shop/domain"
import type { Product } from "@shop/domain/Product"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Catalog, paging } from "./Catalog.ts"
import { ProductConfig } from "./ProductConfig.ts"
import { orderBy, type ProductSort } from "./ProductSort.ts"

/** A search: free text (empty matches everything) plus filters; prices in cents. */
export interface SearchQuery {
  readonly q?: string
  readonly category?: string
  readonly minPriceCents?: number
  readonly maxPriceCents?: number
  readonly page?: number
  readonly limit?: number
  /** Relevance when absent and `q` is not empty; newest first when `q` is empty. */
  readonly sort?: ProductSort | "relevance"
}

/** A validated search with its defaults applied: what a result depends on, and so what a cache keys on. */
export interface NormalizedSearch {
  readonly q: string
  readonly category: string | undefined
  readonly minPriceCents: number | undefined
  readonly maxPriceCents: number | undefined
  readonly page: number
  readonly limit: number
  readonly sort: ProductSort | "relevance"
}

/** Matching products per category, ignoring the category filter itself. */
export interface CategoryFacet {
  readonly category: string
  readonly count: number
}

/** One page of results as ids, in rank order. */
export interface SearchPage {
  readonly ids: ReadonlyArray<string>
  readonly total: number
  readonly page: number
  readonly limit: number
  readonly facets: ReadonlyArray<CategoryFacet>
}

/** One page of results. */
export interface SearchResult extends Omit<SearchPage, "ids"> {
  readonly products: ReadonlyArray<Product>
}

const maxQueryLength = 200

const price = (field: string, value: number | undefined) =>
  value === undefined || (Number.isSafeInteger(value) && value >= 0)
    ? Effect.succeed(value)
    : Effect.fail(new ValidationError({ field, detail: "must be a non-negative amount of cents" }))

/** Validates a search and applies its defaults. */
export const normalizeSearch = (query: SearchQuery): Effect.Effect<NormalizedSearch, ValidationError> =>
  Effect.gen(function*() {
    const q = (query.q ?? "").trim().replace(/\s+/g, " ")
    if (q.length > maxQueryLength) {
      return yield* new ValidationError({ field: "q", detail: `must be at most ${maxQueryLength} characters` })
    }
    const { limit, page } = yield* paging(query.page, query.limit)
    const minPriceCents = yield* price("minPriceCents", query.minPriceCents)
    const maxPriceCents = yield* price("maxPriceCents", query.maxPriceCents)
    if (minPriceCents !== undefined && maxPriceCents !== undefined && minPriceCents > maxPriceCents) {
      return yield* new ValidationError({ field: "minPriceCents", detail: "must not exceed maxPriceCents" })
    }
    const category = query.category?.trim() || undefined
    const sort = query.sort ?? (q === "" ? "created_at_desc" : "relevance")
    return {
      q,
      category,
      minPriceCents,
      maxPriceCents,
      page,
      limit,
      sort: q === "" && sort === "relevance" ? "created_at_desc" : sort
    }
  })

/**
 * Ranked full-text search over the stored `search_vector` (name weighted A, description B), with typo tolerance on
 * the name through pg_trgm strict word similarity, and exact SKU lookup. All three predicates are indexed (GIN
 * tsvector, GIN trigram, unique upper(sku)), so PostgreSQL combines them with a BitmapOr.
 *
 * Order: products whose name (or SKU) matches the words come first, then the rest by `ts_rank_cd` plus name
 * similarity, so a name match always ranks above a description-only match.
 */
export class Search extends Context.Service<Search, {
  readonly search: (query: SearchQuery) => Effect.Effect<SearchResult, ValidationError>
  /** The same search, answering ids only (the cache stores pages of ids and reads products through their own entries). */
  readonly searchIds: (query: NormalizedSearch) => Effect.Effect<SearchPage>
}>()("product/Search") {
  static readonly layer = Layer.effect(
    Search,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const catalog = yield* Catalog
      const { similarityThreshold } = yield* ProductConfig

      const searchIds = Effect.fn("Search.searchIds")(function*(query: NormalizedSearch) {
        const { q } = query
        const tsquery = sql`websearch_to_tsquery('english', ${q})`
        // typo tolerance only for plain words: quotes, "or" and -exclusions must mean what websearch syntax says
        const fuzzy = /"|(^|\s)-|\bor\b/i.test(q) ? sql`false` : sql`${q} <<% p.name`
        const matches = q === "" ? [] : [
          sql`(p.search_vector @@ ${tsquery} OR ${fuzzy} OR upper(p.sku) = upper(${q}))`
        ]
        const priced = [
          ...(query.minPriceCents !== undefined ? [sql`p.price_cents >= ${query.minPriceCents}`] : []),
          ...(query.maxPriceCents !== undefined ? [sql`p.price_cents <= ${query.maxPriceCents}`] : [])
        ]
        const inCategory = query.category !== undefined ? [sql`p.category = ${query.category}`] : []
        const order = query.sort === "relevance"
          ? sql`(ts_filter(p.search_vector, '{a}') @@ ${tsquery} OR upper(p.sku) = upper(${q})) DESC,
            ts_rank_cd(p.search_vector, ${tsquery}) + strict_word_similarity(${q}, p.name) DESC, p.id`
          : orderBy(sql, query.sort, "p")
        return yield* Effect.gen(function*() {
          // the trigram operator reads its threshold from this setting; SET LOCAL scopes it to this transaction
          yield* sql`SELECT set_config('pg_trgm.strict_word_similarity_threshold', ${
            String(similarityThreshold)
          }, true)`
          const rows = yield* sql<{ readonly id: string }>`
          SELECT p.id FROM products p WHERE ${sql.and([...matches, ...priced, ...inCategory])}
          ORDER BY ${order} LIMIT ${query.limit} OFFSET ${(query.page - 1) * query.limit}`
          const facets = yield* sql<CategoryFacet>`
          SELECT p.category, count(*)::int AS count FROM products p WHERE ${sql.and([...matches, ...priced])}
          GROUP BY p.category ORDER BY count DESC, p.category`
          const total = query.category === undefined
            ? facets.reduce((sum, facet) => sum + facet.count, 0)
            : facets.find((facet) => facet.category === query.category)?.count ?? 0
          return { ids: rows.map((row) => row.id), total, page: query.page, limit: query.limit, facets }
        }).pipe(sql.withTransaction, Effect.orDie)
      })

      const search = Effect.fn("Search.search")(function*(query: SearchQuery) {
        const { ids, ...page } = yield* searchIds(yield* normalizeSearch(query))
        return { ...page, products: yield* catalog.getMany(ids) }
      })

      return Search.of({ search, searchIds })
    })
  )
}
