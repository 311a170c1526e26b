import { IdempotencyKeyReused, MaxOrderLines, MaxQuantity, ProductId, ValidationError } from "@shop/domain"
import { Effect, Schema } from "effect"
import { createHash } from "node:crypto"
import type { OrderRecord, ShippingAddress } from "./SagaState.ts"

/** A CreateOrder request, decoded at the edge. Prices are not part of it: they come from the product service. */
export interface CreateOrderInput {
  readonly userId: string
  readonly items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>
  readonly shippingAddress: ShippingAddress
  readonly paymentMethod: string
  readonly idempotencyKey: string
}

const isProductId = Schema.is(ProductId)
const fail = (field: string, detail: string) => Effect.fail(new ValidationError({ field, detail }))

/** Checks the rules of a new order; the first broken one is the error. */
export const validate = (input: CreateOrderInput): Effect.Effect<CreateOrderInput, ValidationError> => {
  if (!/^[\x21-\x7E]{1,128}$/u.test(input.userId)) return fail("user_id", "must be 1 to 128 visible characters")
  if (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 255) {
    return fail("idempotency_key", "must be 1 to 255 characters")
  }
  if (input.paymentMethod.trim() === "") return fail("payment_method", "is required")
  if (input.items.length === 0 || input.items.length > MaxOrderLines) {
    return fail("items", `must hold 1 to ${MaxOrderLines} lines`)
  }
  const seen = new Set<string>()
  for (const item of input.items) {
    if (!isProductId(item.productId)) return fail("items.product_id", `invalid product id ${item.productId}`)
    if (seen.has(item.productId)) return fail("items.product_id", `product ${item.productId} appears twice`)
    seen.add(item.productId)
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MaxQuantity) {
      return fail("items.quantity", `must be an integer from 1 to ${MaxQuantity}`)
    }
  }
  const address = input.shippingAddress
  for (const key of ["street", "city", "state", "zip"] as const) {
    if (address[key].trim() === "") return fail(`shipping_address.${key}`, "is required")
  }
  return Effect.succeed(input)
}

/** A digest of everything the request asks for, so a replayed key can be told from a reused one. */
export const fingerprint = (input: CreateOrderInput): string => {
  const items = input.items.toSorted((a, b) => a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)
    .map((item) => [item.productId, item.quantity])
  const { city, state, street, zip } = input.shippingAddress
  return createHash("sha256")
    .update(JSON.stringify([items, [street, city, state, zip], input.paymentMethod]))
    .digest("base64url")
}

/** The first order of a key again, or IdempotencyKeyReused when the key came with another request. */
export const replay = (existing: OrderRecord, digest: string) =>
  existing.fingerprint === digest
    ? Effect.succeed({ order: existing, replayed: true })
    : Effect.fail(new IdempotencyKeyReused({ key: existing.idempotencyKey }))
