import { ProductId, Quantity } from "@shop/domain"
import { useEffect, useState } from "preact/hooks"
import { shop } from "../api/Shop.ts"
import { Link } from "../components/Link.tsx"
import { Price } from "../components/Price.tsx"
import { ProblemMessage } from "../components/ProblemMessage.tsx"
import { Availability } from "../components/ProductCard.tsx"
import { addToCart } from "../state/Cart.ts"
import { readField, wholeNumber } from "../state/Fields.ts"
import { useLoad } from "../state/useLoad.ts"

// Stock changes as others buy: the page asks again while it is open and visible.
const refreshEvery = 5_000

/** `/products/:id`: a product with its live availability and a quantity to add to the cart. */
export const ProductPage = (props: { readonly id: string }) => {
  const id = ProductId.make(props.id)
  const product = useLoad(() => shop.products.get(id), [props.id])
  const [quantity, setQuantity] = useState("1")
  const [added, setAdded] = useState<string | undefined>(undefined)
  const [quantityError, setQuantityError] = useState<string | undefined>(undefined)

  useEffect(() => {
    const timer = setInterval(() => document.visibilityState === "visible" && product.reload(), refreshEvery)
    return () => clearInterval(timer)
  }, [product.reload])

  if (product.data === undefined) {
    return product.problem === undefined ? <p aria-busy="true">Loading…</p> : (
      <section>
        <h1 tabIndex={-1}>Product unavailable</h1>
        <ProblemMessage problem={product.problem} retry={product.reload} />
        <Link href="/">Back to the shop</Link>
      </section>
    )
  }
  const details = product.data
  return (
    <article class="product-page">
      <div class="card-art large" aria-hidden="true">{details.name.slice(0, 1)}</div>
      <div>
        <p class="muted">
          <Link href={`/?category=${encodeURIComponent(details.category)}`}>{details.category}</Link> · SKU {details.sku}
        </p>
        <h1 tabIndex={-1}>{details.name}</h1>
        <p class="big-price">
          <Price cents={details.price} currency={details.currency} />
        </p>
        <p aria-live="polite" data-testid="availability">
          <Availability available={details.available} />
          {details.reserved > 0 && <span class="muted"> ({details.reserved} held by orders in progress)</span>}
        </p>
        {details.description !== "" && <p class="description">{details.description}</p>}
        <form
          class="buy"
          onSubmit={(event) => {
            event.preventDefault()
            const field = readField(Quantity, wholeNumber(quantity))
            if (!field.ok) return setQuantityError(`Quantity ${field.error}`)
            setQuantityError(undefined)
            addToCart({ product_id: details.id, name: details.name, price: details.price }, field.value)
            setAdded(`${field.value} × ${details.name} added to the cart.`)
          }}
        >
          <label>
            Quantity
            <input
              type="number"
              min={1}
              max={Math.max(1, details.available)}
              value={quantity}
              onInput={(event) => setQuantity(event.currentTarget.value)}
              aria-invalid={quantityError !== undefined}
            />
          </label>
          <button type="submit" data-testid="add-to-cart" disabled={details.available <= 0}>
            Add to cart
          </button>
        </form>
        {quantityError !== undefined && <p class="problem" role="alert">{quantityError}</p>}
        {added !== undefined && (
          <p role="status" class="notice">
            {added} <Link href="/cart">View the cart</Link>
          </p>
        )}
        <ProblemMessage problem={product.problem} />
      </div>
    </article>
  )
}
