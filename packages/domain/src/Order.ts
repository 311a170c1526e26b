import { Schema } from "effect"
import { CustomerContact } from "./Contact.ts"
import { IdempotencyKey, OrderId, PaymentId, ProductId, SagaId, TrackingNumber, UserId } from "./Ids.ts"
import { Cents, Currency, MaxCents } from "./Money.ts"
import { PaymentMethod, PaymentStatus } from "./Payment.ts"
import { Price, ProductName } from "./Product.ts"
import { isSingleLineText } from "./Text.ts"
import { Timestamp } from "./Timestamp.ts"

/** The life cycle of an order: `pending` while its saga runs, then `confirmed`, `failed` or `cancelled`. */
export const OrderStatus = Schema.Literals(["pending", "confirmed", "failed", "cancelled"]).annotate({
  identifier: "OrderStatus"
})
export type OrderStatus = typeof OrderStatus.Type

/** The largest quantity of one product in one order. */
export const MaxQuantity = 1000

/** The largest number of lines in one order. */
export const MaxOrderLines = 100

/** Units of one product in an order: an integer from 1 to {@link MaxQuantity}. */
export const Quantity = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: MaxQuantity })).annotate({
  identifier: "Quantity"
})

const addressLine = (max: number) =>
  Schema.String.check(Schema.isBetweenLength(1, max), Schema.isTrimmed(), isSingleLineText())

/** A postal address in the United States style of the REST examples. */
export class ShippingAddress extends Schema.Class<ShippingAddress>("ShippingAddress")({
  street: addressLine(200),
  city: addressLine(100),
  state: addressLine(100),
  zip: Schema.String.check(
    Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/u, { expected: "a postal code such as 94102" })
  )
}) {}

/** One line of an order, with the name and unit price of the product when the order was placed. */
export class OrderLine extends Schema.Class<OrderLine>("OrderLine")({
  productId: ProductId,
  name: ProductName,
  quantity: Quantity,
  unitPrice: Price
}) {
  /** `unitPrice × quantity` in cents; exact while it stays within `MaxCents` (`multiplyCents` checks it). */
  get lineTotal(): number {
    return this.unitPrice * this.quantity
  }
}

/** Lines of an order: 1 to {@link MaxOrderLines}, each product at most once (`key` names the product member). */
export const OrderLines = <S extends Schema.Top, K extends keyof S["Type"] & string>(item: S, key: K) =>
  Schema.Array(item).check(
    Schema.isBetweenLength(1, MaxOrderLines, { expected: `between 1 and ${MaxOrderLines} items` }),
    Schema.makeFilter((items) => {
      const seen = new Set<unknown>()
      for (const [index, line] of items.entries()) {
        const product = line[key]
        if (seen.has(product)) return { path: [index, key], issue: "each product may appear only once" }
        seen.add(product)
      }
      return undefined
    })
  )

/** One requested line: a product and a quantity. The price is the catalog's, never the client's. */
export const RequestedLine = Schema.Struct({ productId: ProductId, quantity: Quantity }).annotate({
  identifier: "RequestedLine"
})
export type RequestedLine = typeof RequestedLine.Type

/**
 * A customer's request to place an order, as every edge decodes it (the gateway from JSON, the order service from
 * gRPC): the same rules everywhere. Whether the total can be charged (at most `MaxChargeCents`) is known only once
 * the lines are priced, so the order service checks it then.
 */
export class PlaceOrder extends Schema.Class<PlaceOrder>("PlaceOrder")({
  userId: UserId,
  items: OrderLines(RequestedLine, "productId"),
  shippingAddress: ShippingAddress,
  paymentMethod: PaymentMethod,
  idempotencyKey: IdempotencyKey,
  /** Where the customer is told about the order: the request's email and phone, or the token's `email` claim. */
  contact: Schema.optionalKey(CustomerContact)
}) {}

/** A customer's order and the state of the saga that places it. */
export class Order extends Schema.Class<Order>("Order")(
  Schema.Struct({
    id: OrderId,
    userId: UserId,
    status: OrderStatus,
    items: OrderLines(OrderLine, "productId"),
    totalCents: Cents,
    currency: Currency,
    shippingAddress: ShippingAddress,
    paymentMethod: PaymentMethod,
    idempotencyKey: IdempotencyKey,
    contact: Schema.optionalKey(CustomerContact),
    sagaId: SagaId,
    paymentId: Schema.optionalKey(PaymentId),
    paymentStatus: Schema.optionalKey(PaymentStatus),
    trackingNumber: Schema.optionalKey(TrackingNumber),
    failureReason: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 500))),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    confirmedAt: Schema.optionalKey(Timestamp)
  }).check(
    Schema.makeFilter((order) => {
      const total = order.items.reduce((sum, item) => sum + item.lineTotal, 0)
      if (total > MaxCents) return { path: ["items"], issue: "the order total exceeds the maximum amount" }
      return total === order.totalCents
        ? undefined
        : { path: ["totalCents"], issue: `the total must be the sum of the lines (${total})` }
    })
  )
) {}
