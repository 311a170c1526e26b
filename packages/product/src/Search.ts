import { ValidationError } from "@shop/domain"
import type { Product } from "@shop/domain/Product"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import { Catalog, paging } from "./Catalog.ts"
import { ProductConfig } from "./ProductConfig.ts"
import { orderBy, type ProductSort } from "./ProductSort.ts"
import { matchSql, parseTerms, type SearchTerms } from "./SearchTerms.ts"

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
  /** No product matched every word, so these match as many of the words as any product does. */
  readonly relaxed: boolean
}

/** One page of results. */
export interface SearchResult extends Omit<SearchPage, "ids"> {
  readonly products: ReadonlyArray<Product>
}

const maxQueryLength = 200

/** Facets aggregated in SQL as a JSON list of `category|count` (a category may hold `|`, a count never does). */
const facetsOf = (json: string): Array<CategoryFacet> =>
  (JSON.parse(json) as Array<string>).map((entry) => {
    const separator = entry.lastIndexOf("|")
    return { category: entry.slice(0, separator), count: Number(entry.slice(separator + 1)) }
  })

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
 * Ranked full-text search that narrows: every word of the query must match, in the stored `search_vector` (name
 * weighted A, description B) or, with typo tolerance, the name (pg_trgm strict word similarity), or the whole query
 * is an exact SKU (see {@link matchSql}). When no product matches every word, the search relaxes: it answers the
 * products that match the most words any product matches, and says so (`relaxed`). A query in web search syntax
 * (quotes, `or`, `-exclusion`) means exactly what it says and is never relaxed.
 *
 * Relevance order: exact SKU, then the products whose name has the most of the words, then `ts_rank_cd` plus name
 * similarity.
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

      // Whether a word is a stop word ("the", "and": no lexeme), asked of PostgreSQL once per word and remembered.
      const stopWords = new Map<string, boolean>()
      const withoutStopWords = (terms: SearchTerms) =>
        Effect.gen(function*() {
          if (terms._tag !== "words") return terms
          for (const word of terms.words) {
            if (stopWords.has(word)) continue
            if (stopWords.size >= 10_000) stopWords.clear()
            const [row] = yield* sql<{ readonly stop: boolean }>`
              SELECT numnode(plainto_tsquery('english', ${word})) = 0 AS stop`
            stopWords.set(word, row?.stop ?? false)
          }
          const words = terms.words.filter((word) => !stopWords.get(word))
          // nothing but stop words: match them all the same, rather than everything
          return words.length > 0 ? { ...terms, words } : terms
        }).pipe(Effect.orDie)

      const searchIds = traced("Search.searchIds")(function*(query: NormalizedSearch) {
        const terms = query.q === "" ? undefined : yield* withoutStopWords(parseTerms(query.q))
        const match = terms === undefined ? undefined : matchSql(sql, terms)
        const priced = [
          ...(query.minPriceCents !== undefined ? [sql`p.price_cents >= ${query.minPriceCents}`] : []),
          ...(query.maxPriceCents !== undefined ? [sql`p.price_cents <= ${query.maxPriceCents}`] : [])
        ]
        const inCategory = query.category !== undefined ? [sql`p.category = ${query.category}`] : []
        const order = query.sort === "relevance" && match !== undefined ? match.rank : orderBy(
          sql,
          query.sort === "relevance" ? "created_at_desc" : query.sort,
          "p"
        )

        const total = (facets: ReadonlyArray<CategoryFacet>) =>
          query.category === undefined
            ? facets.reduce((sum, facet) => sum + facet.count, 0)
            : facets.find((facet) => facet.category === query.category)?.count ?? 0

        /** Every product, filtered: the page comes from an index in sort order, the facets from a count of all. */
        const pageOfAll = Effect.gen(function*() {
          const rows = yield* sql<{ readonly id: string }>`
            SELECT p.id FROM products p WHERE ${sql.and([...priced, ...inCategory])}
            ORDER BY ${order} LIMIT ${query.limit} OFFSET ${(query.page - 1) * query.limit}`
          const facets = yield* sql<CategoryFacet>`
            SELECT p.category, count(*)::int AS count FROM products p WHERE ${sql.and(priced)}
            GROUP BY p.category ORDER BY count DESC, p.category`
          return { ids: rows.map((row) => row.id), total: total(facets), page: query.page, limit: query.limit, facets }
        })

        /**
         * The products that satisfy `condition`, in one statement: they are found once (one plan, one index scan) and
         * both the page and the category facets are read from them. Planning a text match costs PostgreSQL about as
         * much as running it, so one statement instead of two halves its work. The matched rows are kept whole, so
         * the page sorts them without reading each product again; the price bounds filter them afterwards rather
         * than in the text match, where a prepared statement's plan (made once for any bounds) would scan the price
         * index over most of the catalog to intersect it with a few hundred text matches.
         */
        const pageOfMatches = (condition: Statement.Fragment) =>
          Effect.gen(function*() {
            const [row] = yield* sql<{ readonly ids: string; readonly facets: string }>`
              WITH matched AS MATERIALIZED (SELECT p.* FROM products p WHERE ${condition})
              SELECT
                (SELECT coalesce(json_agg(f.category || '|' || f.count ORDER BY f.count DESC, f.category), '[]')::text
                  FROM (SELECT p.category, count(*)::int AS count FROM matched p WHERE ${sql.and(priced)}
                    GROUP BY p.category) f) AS facets,
                (SELECT coalesce(json_agg(page.id ORDER BY page.position), '[]')::text FROM (
                  SELECT p.id, row_number() OVER (ORDER BY ${order}) AS position
                  FROM matched p
                  WHERE ${sql.and([...priced, ...inCategory])}
                  ORDER BY ${order} LIMIT ${query.limit} OFFSET ${(query.page - 1) * query.limit}) page) AS ids`
            const facets = facetsOf(row?.facets ?? "[]")
            const ids = JSON.parse(row?.ids ?? "[]") as Array<string>
            return { ids, total: total(facets), page: query.page, limit: query.limit, facets }
          })

        return yield* Effect.gen(function*() {
          // The trigram operator reads its threshold from this setting; SET LOCAL semantics (the third argument) scope
          // it to this transaction.
          yield* sql`SELECT set_config('pg_trgm.strict_word_similarity_threshold', ${
            String(similarityThreshold)
          }, true)`
          const strict = {
            ...(match === undefined ? yield* pageOfAll : yield* pageOfMatches(match.all)),
            relaxed: false
          }
          if (strict.total > 0 || match?.any === undefined || terms?._tag !== "words" || terms.words.length < 2) {
            return strict
          }
          // Nothing matches every word: keep the products that match the most words any product matches. One
          // statement, so that the candidates (every product matching some word) are matched once.
          const [relaxed] = yield* sql<{ readonly best: number | null; readonly ids: string; readonly facets: string }>`
            WITH candidates AS MATERIALIZED (
              SELECT p.*, ${match.hits} AS hits FROM products p WHERE ${match.any}
            ), best AS (
              SELECT max(p.hits) AS hits FROM candidates p WHERE ${sql.and([...priced, ...inCategory])}
            )
            SELECT (SELECT hits FROM best) AS best,
              (SELECT coalesce(json_agg(f.category || '|' || f.count ORDER BY f.count DESC, f.category), '[]')::text
                FROM (SELECT p.category, count(*)::int AS count FROM candidates p JOIN best b ON p.hits = b.hits
                  WHERE ${sql.and(priced)} GROUP BY p.category) f) AS facets,
              (SELECT coalesce(json_agg(page.id ORDER BY page.position), '[]')::text FROM (
                SELECT p.id, row_number() OVER (ORDER BY ${order}) AS position
                FROM candidates p JOIN best b ON p.hits = b.hits
                WHERE ${sql.and([...priced, ...inCategory])}
                ORDER BY ${order} LIMIT ${query.limit} OFFSET ${(query.page - 1) * query.limit}) page) AS ids`
          if (relaxed === undefined || relaxed.best === null || relaxed.best === 0) return strict
          const facets = facetsOf(relaxed.facets)
          const ids = JSON.parse(relaxed.ids) as Array<string>
          return { ids, total: total(facets), page: query.page, limit: query.limit, facets, relaxed: true }
        }).pipe(sql.withTransaction, Effect.orDie)
      })

      const search = traced("Search.search")(function*(query: SearchQuery) {
        const { ids, ...page } = yield* searchIds(yield* normalizeSearch(query))
        return { ...page, products: yield* catalog.getMany(ids) }
      })

      return Search.of({ search, searchIds })
    })
  )
}
