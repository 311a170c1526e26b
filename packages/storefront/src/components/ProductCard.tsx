import type { ProductJson, SearchHit } from "@shop/domain"
import { useState } from "preact/hooks"
import { addToCart } from "../state/Cart.ts"
import { Link } from "./Link.tsx"
import { Price } from "./Price.tsx"

/** How many units can be bought now, in words. */
export const Availability = (props: { readonly available: number | undefined }) =>
  props.available === undefined ? null : props.available > 0
    ? <span class="stock in-stock">{props.available.toLocaleString("en-US")} available</span>
    : <span class="stock out-of-stock">Out of stock</span>

/** A product in a list: its name (a link to its page), category, price, stock and an add-to-cart button. */
export const ProductCard = (props: { readonly product: ProductJson | SearchHit }) => {
  const { product } = props
  const [added, setAdded] = useState(false)
  const soldOut = product.available !== undefined && product.available <= 0
  return (
    <article class="card" data-testid="product-card">
      <div class="card-art" aria-hidden="true">{product.name.slice(0, 1)}</div>
      <h3>
        <Link href={`/products/${encodeURIComponent(product.id)}`}>{product.name}</Link>
      </h3>
      {product.category !== undefined && <p class="muted">{product.category}</p>}
      <p class="card-price">
        <Price cents={product.price} currency={product.currency} /> <Availability available={product.available} />
      </p>
      <button
        type="button"
        data-testid="add-to-cart"
        disabled={soldOut}
        aria-label={`Add ${product.name} to the cart`}
        onClick={() => {
          addToCart({ product_id: product.id, name: product.name, price: product.price })
          setAdded(true)
        }}
      >
        {added ? "Added ✓" : "Add to cart"}
      </button>
    </article>
  )
}

/** Products in a responsive grid. */
export const ProductGrid = (props: { readonly products: ReadonlyArray<ProductJson | SearchHit> }) => (
  <div class="grid">
    {props.products.map((product) => <ProductCard key={product.id} product={product} />)}
  </div>
)
