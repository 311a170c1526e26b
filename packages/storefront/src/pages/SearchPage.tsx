import { PriceFromDecimalString, type SearchProductsQuery, SearchSort } from "@shop/domain"
import { useState } from "preact/hooks"
import { shop } from "../api/Shop.ts"
import { Pagination } from "../components/Pagination.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { ProductGrid } from "../components/ProductCard.tsx"
import { readField } from "../state/Fields.ts"
import { type Location, navigate, withQuery } from "../state/Router.ts"
import { useLoad } from "../state/useLoad.ts"

const pageSize = 24

const sortLabels: Record<SearchSort, string> = {
  relevance: "Best match",
  price_asc: "Price, low to high",
  price_desc: "Price, high to low",
  name_asc: "Name",
  created_at_desc: "Newest"
}

/** The URL's search, as the contract's query; prices that do not read as prices are reported, not sent. */
const queryOf = (params: URLSearchParams) => {
  const text = (name: string) => params.get(name)?.trim() || undefined
  const errors: Record<string, string> = {}
  const price = (name: "min_price" | "max_price") => {
    const value = text(name)
    if (value === undefined) return undefined
    const field = readField(PriceFromDecimalString, value)
    if (field.ok) return field.value
    errors[name] = field.error
    return undefined
  }
  const min_price = price("min_price")
  const max_price = price("max_price")
  const sort = readField(SearchSort, text("sort"))
  const page = Number(text("page") ?? "1")
  const query: SearchProductsQuery = {
    limit: pageSize,
    page: Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1,
    ...(text("q") === undefined ? {} : { q: text("q")!.slice(0, 200) }),
    ...(text("category") === undefined ? {} : { category: text("category")! }),
    ...(min_price === undefined ? {} : { min_price }),
    ...(max_price === undefined ? {} : { max_price }),
    ...(sort.ok ? { sort: sort.value } : {})
  }
  return { query, errors }
}

/** `/search`: full-text search with category and price filters, sorted and paginated; the URL holds the state. */
export const SearchPage = (props: { readonly location: Location }) => {
  const params = props.location.query
  const key = params.toString()
  const { query, errors } = queryOf(params)
  const result = useLoad(() => shop.products.search(query), [key])
  const [form, setForm] = useState<Record<string, string>>({})
  const value = (name: string) => form[name] ?? params.get(name) ?? ""
  const set = (name: string) => (event: Event) =>
    setForm({ ...form, [name]: (event.currentTarget as HTMLInputElement | HTMLSelectElement).value })
  const hrefFor = (page: number) => withQuery("/search", { ...Object.fromEntries(params), page })
  const categories = result.data?.facets?.categories ?? []

  return (
    <div class="search-layout">
      <form
        id="filters"
        class="filters"
        aria-label="Filters"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery("/search", {
            q: params.get("q") ?? undefined,
            category: value("category"),
            min_price: value("min_price"),
            max_price: value("max_price"),
            sort: value("sort")
          }))
          setForm({})
        }}
      >
        <h2>Filters</h2>
        <label>
          Category
          <select name="category" value={value("category")} onChange={set("category")}>
            <option value="">All categories</option>
            {categories.map((facet) => (
              <option key={facet.category} value={facet.category}>
                {facet.category} ({facet.count})
              </option>
            ))}
            {query.category !== undefined && !categories.some((facet) => facet.category === query.category) && (
              <option value={query.category}>{query.category}</option>
            )}
          </select>
        </label>
        <fieldset class="price-range">
          <legend>Price</legend>
          <label>
            From
            <input name="min_price" inputMode="decimal" placeholder="0.00" value={value("min_price")} onInput={set("min_price")} />
          </label>
          <label>
            To
            <input name="max_price" inputMode="decimal" placeholder="any" value={value("max_price")} onInput={set("max_price")} />
          </label>
        </fieldset>
        <label>
          Sort by
          <select name="sort" value={value("sort")} onChange={set("sort")}>
            {SearchSort.literals.map((sort) => <option key={sort} value={sort === "relevance" ? "" : sort}>{sortLabels[sort]}</option>)}
          </select>
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <section class="results" aria-labelledby="results-heading" aria-busy={result.loading}>
        <h1 id="results-heading" tabIndex={-1}>
          {query.q === undefined ? "All products" : `Results for “${query.q}”`}
        </h1>
        <a class="to-filters" href="#filters">Filters: category, price, sort</a>
        {Object.entries(errors).map(([name, error]) => (
          <p key={name} class="problem" role="alert">
            {name === "min_price" ? "From" : "To"} price: {error}
          </p>
        ))}
        <ProblemMessage problem={result.problem} retry={result.reload} />
        {result.data !== undefined && (
          <>
            <p class="muted" aria-live="polite">
              {result.data.total.toLocaleString("en-US")} {result.data.total === 1 ? "product" : "products"}
            </p>
            {result.data.total === 0 && <p>Nothing matches. Try fewer words or another category.</p>}
            <ProductGrid products={result.data.products} />
            <Pagination page={result.data.page} limit={pageSize} total={result.data.total} hrefFor={hrefFor} />
          </>
        )}
      </section>
    </div>
  )
}
