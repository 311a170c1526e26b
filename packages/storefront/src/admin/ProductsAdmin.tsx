import type { ProductJson, SearchHit } from "@shop/domain"
import { useState } from "preact/hooks"
import { shop } from "../api/Shop.ts"
import { Pagination } from "../components/Pagination.tsx"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { type Location, navigate, withQuery } from "../state/Router.ts"
import { useLoad } from "../state/useLoad.ts"
import { ProductCreator } from "./ProductCreator.tsx"
import { ProductEditor } from "./ProductEditor.tsx"

const pageSize = 20

/** `/admin/products`: find products, change their price and stock, create new ones. */
export const ProductsAdmin = (props: { readonly token: string; readonly location: Location }) => {
  const params = props.location.query
  const q = params.get("q")?.trim() || undefined
  const requested = Number(params.get("page") ?? "1")
  const page = Number.isInteger(requested) && requested >= 1 && requested <= 10_000 ? requested : 1
  const products = useLoad<{ readonly products: ReadonlyArray<ProductJson | SearchHit>; readonly total: number }>(
    () =>
      q === undefined
        ? shop.products.list({ page, limit: pageSize })
        : shop.products.search({ q: q.slice(0, 200), page, limit: pageSize }),
    [q, page]
  )
  const [editing, setEditing] = useState<string | undefined>(undefined)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const [search, setSearch] = useState(q ?? "")

  return (
    <section>
      <h1 tabIndex={-1}>Products</h1>
      <form
        role="search"
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery("/admin/products", { q: search.trim() }))
        }}
      >
        <input
          type="search"
          aria-label="Find products by name or SKU"
          placeholder="Name or SKU"
          value={search}
          onInput={(event) => setSearch(event.currentTarget.value)}
        />
        <button type="submit">Find</button>
      </form>
      {notice !== undefined && <p class="notice" role="status">{notice}</p>}
      <ProblemMessage problem={products.problem} retry={products.reload} />
      {products.data !== undefined && (
        <>
          <table class="lines admin-products">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">SKU</th>
                <th scope="col">Price</th>
                <th scope="col">On hand</th>
                <th scope="col">Available</th>
                <th scope="col"><span class="visually-hidden">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {products.data.products.map((product) =>
                editing === product.id
                  ? (
                    <tr key={product.id}>
                      <td colSpan={6}>
                        <strong>{product.name}</strong>
                        <ProductEditor
                          token={props.token}
                          product={product}
                          onCancel={() => setEditing(undefined)}
                          onSaved={(saved) => {
                            setEditing(undefined)
                            setNotice(`Saved ${saved.name}: ${saved.inventory} on hand.`)
                            products.reload()
                          }}
                        />
                      </td>
                    </tr>
                  )
                  : (
                    <tr key={product.id} data-testid="admin-product-row">
                      <th scope="row">{product.name}</th>
                      <td data-label="SKU">{product.sku}</td>
                      <td data-label="Price"><Price cents={product.price} currency={product.currency} /></td>
                      <td data-label="On hand">{product.inventory}</td>
                      <td data-label="Available">{product.available}</td>
                      <td>
                        <button
                          type="button"
                          class="secondary"
                          aria-label={`Edit ${product.name}`}
                          onClick={() => setEditing(product.id)}
                        >
                          Edit
                        </button>
                      </td>
                    </tr>
                  )
              )}
            </tbody>
          </table>
          <Pagination
            page={page}
            limit={pageSize}
            total={products.data.total}
            hrefFor={(target) => withQuery("/admin/products", { q, page: target })}
          />
        </>
      )}
      <ProductCreator
        token={props.token}
        onCreated={(created) => {
          setNotice(`Created ${created.name} (${created.id}).`)
          navigate(withQuery("/admin/products", { q: created.sku }))
        }}
      />
    </section>
  )
}
