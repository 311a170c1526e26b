import { IdempotencyKey, type Order, type OrderFailureReason, type OrderId } from "@shop/domain"
import type { ChargeRequest } from "./clients/PaymentClient.ts"
import { SagaFailure } from "./saga/SagaState.ts"

/** The checkout's vocabulary: why an order fails (the order's `failure_reason`), and what it asks of its peers. */

export const failure = (reason: OrderFailureReason, detail: string) => new SagaFailure({ reason, detail })

/** The stock was no longer held: before the charge (nothing charged), or before the commit (refunded). */
export const expired = failure("timeout", "reservation_expired")

/** The processor declined the card, with its code (`card_declined`, `insufficient_funds`). */
export const declined = (code: string | undefined) =>
  failure("payment_declined", `payment_declined: ${code ?? "declined"}`)

/** The payment service could not be used for SAGA_MAX_ATTEMPTS attempts, or refused the request as malformed. */
export const unavailable = (tag: string) => failure("payment_unavailable", `payment_unavailable: ${tag}`)

/** The units of each product the order takes. */
export const stockLines = (order: Order) => order.items.map(({ productId, quantity }) => ({ productId, quantity }))

/** The idempotency key of the order's charge, derived from its id so that every retry repeats the same request. */
export const chargeKey = (orderId: OrderId) => IdempotencyKey.make(`order-charge-${orderId}`)

/** The order's charge: its total, by its payment method, keyed by the order. */
export const chargeOf = (order: Order): ChargeRequest => ({
  orderId: order.id,
  amountCents: order.totalCents,
  currency: order.currency,
  method: order.paymentMethod,
  idempotencyKey: chargeKey(order.id)
})
