import { Cents, IdempotencyKey, MaxQuantity, ProductId, ProductName, Quantity } from "@shop/domain"
import { Schema } from "effect"
import { makeStore } from "./Store.ts"

/** One line of the cart: the product, its name and price when it was added (the order is priced by the catalog). */
export const CartLine = Schema.Struct({ product_id: ProductId, name: ProductName, price: Cents, quantity: Quantity })
export type CartLine = typeof CartLine.Type

const storageKey = "shop-mesh.cart"
const StoredCart = Schema.fromJsonString(Schema.Array(CartLine))
const decode = Schema.decodeUnknownOption(StoredCart)
const encode = Schema.encodeSync(StoredCart)

// A cart edited by hand or by an older version is dropped rather than trusted.
const load = (): ReadonlyArray<CartLine> => {
  const stored = decode(window.localStorage.getItem(storageKey) ?? "[]")
  return stored._tag === "Some" ? stored.value : []
}

/** The cart, kept in the browser (it survives a reload and is shared by the tabs). */
export const cart = makeStore<ReadonlyArray<CartLine>>(load())

cart.subscribe((lines) => window.localStorage.setItem(storageKey, encode(lines)))
window.addEventListener("storage", (event) => {
  if (event.key === storageKey) cart.set(load())
})

const clampQuantity = (quantity: number) => Math.max(1, Math.min(MaxQuantity, Math.trunc(quantity)))

/** Adds `quantity` units of a product (to its line, if it has one). */
export const addToCart = (product: Omit<CartLine, "quantity">, quantity = 1) => {
  const lines = cart.get()
  const existing = lines.find((line) => line.product_id === product.product_id)
  cart.set(
    existing === undefined
      ? [...lines, { ...product, quantity: clampQuantity(quantity) }]
      : lines.map((line) => line === existing ? { ...line, quantity: clampQuantity(line.quantity + quantity) } : line)
  )
}

/** Sets the quantity of a line; 0 removes it. */
export const setQuantity = (productId: ProductId, quantity: number) =>
  cart.set(
    quantity <= 0
      ? cart.get().filter((line) => line.product_id !== productId)
      : cart.get().map((line) => line.product_id === productId ? { ...line, quantity: clampQuantity(quantity) } : line)
  )

/** Empties the cart (after an order was placed). */
export const clearCart = () => cart.set([])

/** Units in the cart. */
export const unitCount = (lines: ReadonlyArray<CartLine>) => lines.reduce((sum, line) => sum + line.quantity, 0)

/** The cart's total at the prices shown when the products were added. */
export const cartTotal = (lines: ReadonlyArray<CartLine>) =>
  lines.reduce((sum, line) => sum + line.price * line.quantity, 0)

const keyStorage = "shop-mesh.checkout-key"
const decodeStoredKey = Schema.decodeUnknownOption(
  Schema.fromJsonString(Schema.Tuple([Schema.String, IdempotencyKey]))
)

/**
 * The idempotency key of an order request: the same request (same lines, address, payment) keeps its key, so a
 * double click, a retry after a lost answer or a reload never places a second order; any change gets a new key.
 */
export const idempotencyKeyFor = (request: unknown): IdempotencyKey => {
  const fingerprint = JSON.stringify(request)
  const stored = window.sessionStorage.getItem(keyStorage)
  const previous = decodeStoredKey(stored ?? "")
  if (previous._tag === "Some" && previous.value[0] === fingerprint) return previous.value[1]
  const key = `web-${crypto.randomUUID()}`
  window.sessionStorage.setItem(keyStorage, JSON.stringify([fingerprint, key]))
  return IdempotencyKey.make(key)
}

/** Forgets the key once its order exists: the next checkout is a new order. */
export const forgetIdempotencyKey = () => window.sessionStorage.removeItem(keyStorage)
