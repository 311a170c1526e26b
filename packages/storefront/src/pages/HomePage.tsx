import { ProductSort } from "@shop/domain"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { Pagination } from "../components/Pagination.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { ProductGrid } from "../components/ProductCard.tsx"
import { readField } from "../state/Fields.ts"
import { type Location, navigate, withQuery } from "../state/Router.ts"
import { useLoad } from "../state/useLoad.ts"

const pageSize = 24

const sortLabels: Record<ProductSort, string> = {
  created_at_desc: "Newest",
  created_at_asc: "Oldest",
  price_asc: "Price, low to high",
  price_desc: "Price, high to low",
  name_asc: "Name"
}

/** `/`: the catalog page by page, newest first (or another sort), with the categories to narrow it. */
export const HomePage = (props: { readonly location: Location }) => {
  const params = props.location.query
  const requested = Number(params.get("page") ?? "1")
  const page = Number.isInteger(requested) && requested >= 1 && requested <= 10_000 ? requested : 1
  const sortField = readField(ProductSort, params.get("sort") ?? "created_at_desc")
  const sort = sortField.ok ? sortField.value : "created_at_desc"
  const category = params.get("category") || undefined
  const list = useLoad(
    () => shop.products.list({ page, limit: pageSize, sort, ...(category === undefined ? {} : { category }) }),
    [page, sort, category]
  )
  // The category facets of the whole catalog: a search with no words.
  const facets = useLoad(() => shop.products.search({ limit: 1 }), [])
  const hrefFor = (target: number) => withQuery("/", { ...Object.fromEntries(params), page: target })

  return (
    <>
      <section class="intro">
        <h1 tabIndex={-1}>{category ?? "Everything in the shop"}</h1>
        <nav class="chips" aria-label="Categories">
          <Link href={withQuery("/", { sort: params.get("sort") ?? undefined })} current={category === undefined}>
            All
          </Link>
          {(facets.data?.facets?.categories ?? []).map((facet) => (
            <Link
              key={facet.category}
              href={withQuery("/", { category: facet.category, sort: params.get("sort") ?? undefined })}
              current={facet.category === category}
            >
              {facet.category}
            </Link>
          ))}
        </nav>
      </section>
      <div class="toolbar">
        <p class="muted" aria-live="polite">
          {list.data === undefined ? "Loading…" : `${list.data.total.toLocaleString("en-US")} products`}
        </p>
        <label>
          Sort by{" "}
          <select
            value={sort}
            onChange={(event) =>
              navigate(withQuery("/", { category, sort: (event.currentTarget as HTMLSelectElement).value }))}
          >
            {ProductSort.literals.map((option) => <option key={option} value={option}>{sortLabels[option]}</option>)}
          </select>
        </label>
      </div>
      <ProblemMessage problem={list.problem} retry={list.reload} />
      {list.data !== undefined && (
        <>
          <ProductGrid products={list.data.products} />
          <Pagination page={page} limit={pageSize} total={list.data.total} hrefFor={hrefFor} />
        </>
      )}
    </>
  )
}
