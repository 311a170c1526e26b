import type { SqlClient } from "effect/sql"

/** At most this many distinct words of a query are matched one by one; the rest are ignored. */
export const maxWords = 10

/**
 * Words shorter than this match by their stem only. A trigram index finds little for a word of one to three letters
 * (it has at most three trigrams, shared by hundreds of names), so typo tolerance on them costs a recheck of most of
 * the catalog and finds noise.
 */
export const minFuzzyLength = 4

/**
 * How a query is matched. `words`: plain words, each of which must match (typo-tolerant), with a relaxed fallback.
 * `websearch`: the query uses web search syntax (quotes, `or`, `-exclusion`) and means exactly what that says.
 */
export type SearchTerms =
  | { readonly _tag: "words"; readonly text: string; readonly words: ReadonlyArray<string> }
  | { readonly _tag: "websearch"; readonly text: string }

const websearchSyntax = /"|(^|\s)-|\bor\b/i

/** Splits a normalized query (trimmed, single spaces) into the terms it is matched with. */
export const parseTerms = (q: string): SearchTerms => {
  if (websearchSyntax.test(q)) return { _tag: "websearch", text: q }
  const words = [...new Set(q.toLowerCase().split(" ").filter((word) => word !== ""))].slice(0, maxWords)
  return { _tag: "words", text: q, words }
}

/**
 * The SQL pieces of a text match over `products p`. A word matches a product when its stem is in the stored
 * `search_vector` (name or description) or, for a word of {@link minFuzzyLength} letters or more, when it is close to a
 * word of the name (pg_trgm strict word similarity, the typo tolerance). Stop words (no lexeme, e.g. "the") are left
 * out of `terms` by the caller, so they are never required. Every predicate is backed by an index (GIN tsvector, GIN
 * trigram, unique upper(sku)), so PostgreSQL combines them with bitmap ANDs and ORs, in a plan it can keep for
 * every query of as many words.
 */
export const matchSql = (sql: SqlClient.SqlClient, terms: SearchTerms) => {
  const sku = sql`upper(p.sku) = upper(${terms.text})`
  if (terms._tag === "websearch") {
    const query = sql`(SELECT websearch_to_tsquery('english', ${terms.text}))`
    return {
      /** Every word must match. */
      all: sql`(p.search_vector @@ ${query} OR ${sku})`,
      /** At least one word matches: the candidates of a relaxed search. */
      any: undefined,
      /** How many words match; a relaxed search keeps the products with the most. */
      hits: sql`1`,
      rank: sql`(ts_filter(p.search_vector, '{a}') @@ ${query} OR ${sku}) DESC,
        ts_rank_cd(p.search_vector, ${query}) DESC, p.id`
    }
  }
  const { words } = terms
  // A scalar subquery, so that PostgreSQL stems the word once per statement: in the generic plan of a prepared
  // statement a call with a parameter is not folded to a constant, and would run the stemmer again for every row.
  const lexemes = (word: string) => sql`(SELECT plainto_tsquery('english', ${word}))`
  const fuzzy = (word: string) => word.length >= minFuzzyLength ? sql` OR ${word} <<% p.name` : sql``
  const hit = (word: string) => sql`(p.search_vector @@ ${lexemes(word)}${fuzzy(word)})`
  const inName = (word: string) => sql`(ts_filter(p.search_vector, '{a}') @@ ${lexemes(word)}${fuzzy(word)})`
  const anyWord = sql.or(words.map(hit))
  const sum = sql.join(" + ", true, "0")
  const anyLexeme = sql.join(" || ", true, "''::tsquery")(words.map(lexemes))
  return {
    all: sql`(${sql.and(words.map(hit))} OR ${sku})`,
    any: sql`(${anyWord} OR ${sku})`,
    hits: sum(words.map((word) => sql`${hit(word)}::int`)),
    // SKU first, then the products whose name has the most of the words, then text rank plus name similarity.
    rank: sql`${sku} DESC, ${sum(words.map((word) => sql`${inName(word)}::int`))} DESC,
      ts_rank_cd(p.search_vector, ${anyLexeme}) + strict_word_similarity(${terms.text}, p.name) DESC, p.id`
  }
}
