import {
  Cents,
  Currency,
  CustomerContact,
  IdempotencyKey,
  Order,
  OrderId,
  OrderLine,
  OrderStatus,
  PaymentId,
  PaymentMethod,
  PaymentStatus,
  Price,
  ProductId,
  ProductName,
  Quantity,
  SagaId,
  ShippingAddress,
  TrackingNumber,
  UserId
} from "@shop/domain"
import { fromBigInt, Instant } from "@shop/service-defaults/SqlColumns"
import { Schema } from "effect"

/** A row of `orders`, as the driver returns it. The table belongs to the order service, so does this schema. */
export const OrderRow = Schema.Struct({
  id: OrderId,
  user_id: UserId,
  idempotency_key: IdempotencyKey,
  request_fingerprint: Schema.String,
  status: OrderStatus,
  saga_id: SagaId,
  total_cents: fromBigInt(Cents),
  currency: Currency,
  payment_method: PaymentMethod,
  shipping_address: ShippingAddress,
  contact: Schema.NullOr(CustomerContact),
  payment_status: Schema.NullOr(PaymentStatus),
  payment_id: Schema.NullOr(PaymentId),
  tracking_number: Schema.NullOr(TrackingNumber),
  failure_reason: Schema.NullOr(Schema.String),
  created_at: Instant,
  updated_at: Instant,
  confirmed_at: Schema.NullOr(Instant)
})
export type OrderRow = typeof OrderRow.Type

/** A row of `order_items`. */
export const LineRow = Schema.Struct({
  order_id: OrderId,
  product_id: ProductId,
  name: ProductName,
  quantity: Quantity,
  unit_price_cents: fromBigInt(Price)
})
export type LineRow = typeof LineRow.Type

/** The unique key of an order besides its id: the user's idempotency key. */
export const OrderKey = Schema.Struct({ userId: UserId, idempotencyKey: IdempotencyKey })

const present = <K extends string, A>(key: K, value: A | null) =>
  (value === null ? {} : { [key]: value }) as { readonly [P in K]?: A }

/** The domain's order from its row and lines (already decoded, so the constructor's checks are not run again). */
export const toOrder = (row: OrderRow, lines: ReadonlyArray<LineRow>): Order =>
  new Order({
    id: row.id,
    userId: row.user_id,
    status: row.status,
    items: lines.map((line) =>
      new OrderLine({
        productId: line.product_id,
        name: line.name,
        quantity: line.quantity,
        unitPrice: line.unit_price_cents
      }, { disableChecks: true })
    ),
    totalCents: row.total_cents,
    currency: row.currency,
    shippingAddress: row.shipping_address,
    paymentMethod: row.payment_method,
    idempotencyKey: row.idempotency_key,
    ...present("contact", row.contact),
    sagaId: row.saga_id,
    ...present("paymentId", row.payment_id),
    ...present("paymentStatus", row.payment_status),
    ...present("trackingNumber", row.tracking_number),
    ...present("failureReason", row.failure_reason),
    ...present("confirmedAt", row.confirmed_at),
    createdAt: row.created_at,
    updatedAt: row.updated_at
  }, { disableChecks: true })
