import { ValidationError } from "@shop/domain"
import { Duration, Effect } from "effect"
import type { StockItem } from "./Reservation.ts"

/** The largest quantity of one line and the most lines in one request. */
export const maxQuantity = 1_000_000
export const maxItems = 100

/** Validates requested items: 1 to 100 lines, distinct products, whole positive quantities. */
export const validateItems = (items: ReadonlyArray<StockItem>) =>
  Effect.gen(function*() {
    if (items.length === 0 || items.length > maxItems) {
      return yield* new ValidationError({ field: "items", detail: `must have between 1 and ${maxItems} items` })
    }
    const seen = new Set<string>()
    for (const [index, item] of items.entries()) {
      if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > maxQuantity) {
        return yield* new ValidationError({
          field: `items.${index}.quantity`,
          detail: `must be a whole number from 1 to ${maxQuantity}`
        })
      }
      if (seen.has(item.productId)) {
        return yield* new ValidationError({ field: `items.${index}.productId`, detail: "each product at most once" })
      }
      seen.add(item.productId)
    }
    return items.toSorted((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
  })

/** Validates an order id: the key of the reservation. */
export const validateOrderId = (orderId: string) =>
  /^[A-Za-z0-9_.:-]{1,128}$/.test(orderId)
    ? Effect.succeed(orderId)
    : Effect.fail(
      new ValidationError({ field: "orderId", detail: "must be 1 to 128 characters among A-Z a-z 0-9 _ . : -" })
    )

/** Validates a hold time: more than zero, at most `max`. */
export const validateTtl = (ttl: Duration.Duration, max: Duration.Duration) =>
  Duration.isGreaterThan(ttl, Duration.zero) && Duration.isLessThanOrEqualTo(ttl, max)
    ? Effect.succeed(ttl)
    : Effect.fail(
      new ValidationError({ field: "ttl", detail: `must be more than 0 and at most ${Duration.format(max)}` })
    )
