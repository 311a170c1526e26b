import {
  type Cents,
  type Currency,
  type EventStamp,
  Order,
  OrderConfirmed,
  OrderCreated,
  OrderFailed,
  type OrderId,
  type OrderLine,
  type PaymentId,
  type PlaceOrder,
  type SagaId,
  TrackingNumber
} from "@shop/domain"
import { type DateTime, Effect, Random } from "effect"
import type { SagaFailure } from "./saga/SagaState.ts"

/**
 * The order's life as pure functions: each takes the order and what happened, and returns the order after it and
 * the event that announces it. The saga decides when; the repository and the saga store only persist the result.
 */

/** The order's lines as events carry them. */
const eventLines = (order: Order) =>
  order.items.map((line) => ({
    productId: line.productId,
    name: line.name,
    quantity: line.quantity,
    unitPriceCents: line.unitPrice
  }))

/** What pricing the request's lines gave: every line priced by the catalog, in one currency. */
export interface PricedLines {
  readonly lines: ReadonlyArray<OrderLine>
  readonly totalCents: Cents
  readonly currency: Currency
}

/** A new order, pending while its saga runs, and `order.created`. */
export const place = (
  request: PlaceOrder,
  priced: PricedLines,
  ids: { readonly orderId: OrderId; readonly sagaId: SagaId },
  stamp: EventStamp
) => {
  const order = new Order({
    id: ids.orderId,
    userId: request.userId,
    status: "pending",
    items: priced.lines,
    totalCents: priced.totalCents,
    currency: priced.currency,
    shippingAddress: request.shippingAddress,
    paymentMethod: request.paymentMethod,
    idempotencyKey: request.idempotencyKey,
    ...(request.contact === undefined ? {} : { contact: request.contact }),
    sagaId: ids.sagaId,
    createdAt: stamp.occurredAt,
    updatedAt: stamp.occurredAt
  })
  const event = OrderCreated.make({
    orderId: order.id,
    userId: order.userId,
    sagaId: order.sagaId,
    items: eventLines(order),
    totalCents: order.totalCents,
    currency: order.currency
  }, stamp)
  return { order, event }
}

/** The order once a charge was attempted: its payment is known and pending. */
export const paymentStarted = (order: Order, paymentId: PaymentId, at: DateTime.Utc): Order =>
  new Order({ ...order, paymentId, paymentStatus: "pending", updatedAt: at })

/** The order confirmed: stock committed and payment captured, with a tracking number; and `order.confirmed`. */
export const confirm = (
  order: Order,
  change: { readonly paymentId: PaymentId; readonly trackingNumber: TrackingNumber },
  stamp: EventStamp
) => {
  const confirmed = new Order({
    ...order,
    status: "confirmed",
    paymentId: change.paymentId,
    paymentStatus: "succeeded",
    trackingNumber: change.trackingNumber,
    confirmedAt: stamp.occurredAt,
    updatedAt: stamp.occurredAt
  })
  const event = OrderConfirmed.make({
    orderId: confirmed.id,
    userId: confirmed.userId,
    paymentId: change.paymentId,
    items: eventLines(confirmed),
    totalCents: confirmed.totalCents,
    currency: confirmed.currency,
    trackingNumber: change.trackingNumber,
    ...(confirmed.contact === undefined ? {} : { contact: confirmed.contact })
  }, stamp)
  return { order: confirmed, event }
}

/** The order failed, with whatever it had reserved or charged compensated; and `order.failed`. */
export const fail = (
  order: Order,
  change: {
    readonly failure: SagaFailure | undefined
    readonly paymentId: PaymentId | undefined
    readonly refunded: boolean
  },
  stamp: EventStamp
) => {
  const failure = change.failure ?? { reason: "internal" as const, detail: "internal" }
  const { paymentId: _paymentId, ...rest } = order
  const failed = new Order({
    ...rest,
    status: "failed",
    failureReason: failure.detail,
    paymentStatus: change.refunded ? "refunded" : "failed",
    ...(change.paymentId === undefined ? {} : { paymentId: change.paymentId }),
    updatedAt: stamp.occurredAt
  })
  const event = OrderFailed.make({
    orderId: failed.id,
    userId: failed.userId,
    reason: failure.reason,
    detail: failure.detail,
    ...(failed.contact === undefined ? {} : { contact: failed.contact })
  }, stamp)
  return { order: failed, event }
}

/** A fresh tracking number: "TRK" and 9 digits, from the `Random` service. */
export const mintTrackingNumber: Effect.Effect<TrackingNumber> = Effect.map(
  Random.nextIntBetween(100_000_000, 999_999_999),
  (digits) => TrackingNumber.make(`TRK${digits}`)
)
