import { decodeInput, OrderId, OrderLines, RequestedLine, ValidationError } from "@shop/domain"
import { Duration, Effect } from "effect"
import type { StockItem } from "./Reservation.ts"

/**
 * The rules of a stock request are the domain's (`OrderLines` of `RequestedLine`: 1 to 100 lines of 1 to 1,000
 * units, each product once; an `OrderId` as the reservation's key), so the product service refuses exactly what the
 * gateway and the order service refuse.
 */

const decodeLines = decodeInput(OrderLines(RequestedLine, "productId"))
const decodeOrderId = decodeInput(OrderId)

/** Validates requested items; sorted by product id, the order every transaction locks them in. */
export const validateItems = (items: ReadonlyArray<StockItem>) =>
  Effect.map(
    decodeLines(items),
    (lines) => lines.toSorted((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
  )

/** Validates an order id: the key of the reservation. */
export const validateOrderId = (orderId: string) =>
  Effect.mapError(decodeOrderId(orderId), (error) => new ValidationError({ field: "order_id", detail: error.detail }))

/** Validates a hold time: more than zero, at most `max`. */
export const validateTtl = (ttl: Duration.Duration, max: Duration.Duration) =>
  Duration.isGreaterThan(ttl, Duration.zero) && Duration.isLessThanOrEqualTo(ttl, max)
    ? Effect.succeed(ttl)
    : Effect.fail(
      new ValidationError({ field: "ttl", detail: `must be more than 0 and at most ${Duration.format(max)}` })
    )
