import { Link } from "../components/Link.tsx"
import { Price } from "../components/Price.tsx"
import { cart, cartTotal, setQuantity, unitCount } from "../state/Cart.ts"
import { useStore } from "../state/Store.ts"

/** `/cart`: the lines with their quantities, and the way to checkout. */
export const CartPage = () => {
  const lines = useStore(cart)
  if (lines.length === 0) {
    return (
      <section>
        <h1 tabIndex={-1}>Your cart is empty</h1>
        <p>
          <Link href="/">Browse the shop</Link> or search for something above.
        </p>
      </section>
    )
  }
  return (
    <section>
      <h1 tabIndex={-1}>Your cart</h1>
      <table class="lines">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
            <th scope="col"><span class="visually-hidden">Remove</span></th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.product_id}>
              <th scope="row">
                <Link href={`/products/${encodeURIComponent(line.product_id)}`}>{line.name}</Link>
              </th>
              <td data-label="Price"><Price cents={line.price} /></td>
              <td data-label="Quantity">
                <input
                  type="number"
                  min={1}
                  max={1000}
                  value={line.quantity}
                  aria-label={`Quantity of ${line.name}`}
                  onChange={(event) => {
                    const quantity = Number(event.currentTarget.value)
                    if (Number.isFinite(quantity)) setQuantity(line.product_id, quantity)
                  }}
                />
              </td>
              <td data-label="Total"><Price cents={line.price * line.quantity} /></td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Remove ${line.name}`}
                  onClick={() => setQuantity(line.product_id, 0)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="cart-total">
        {unitCount(lines)} {unitCount(lines) === 1 ? "item" : "items"}: <Price cents={cartTotal(lines)} />
        <span class="muted"> (the shop prices the order from the catalog when you place it)</span>
      </p>
      <p>
        <Link href="/checkout" class="button" testId="checkout">
          Checkout
        </Link>
      </p>
    </section>
  )
}
