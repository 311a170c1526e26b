import { Schema } from "effect"
import { IdempotencyKey, OrderId, PaymentId, TransactionId, UserId } from "./Ids.ts"
import { Currency } from "./Money.ts"
import { Price } from "./Product.ts"
import { Timestamp } from "./Timestamp.ts"

/**
 * How the customer pays: the spec's `credit_card`, or a payment-method token from the card processor
 * (`pm_card_visa`, `pm_card_chargeDeclined`, ...). Whether a token is good is the processor's call, not ours.
 */
export const PaymentMethod = Schema.Union([
  Schema.Literal("credit_card"),
  Schema.String.check(Schema.isPattern(/^pm_[A-Za-z0-9_]{1,64}$/u))
]).annotate({ identifier: "PaymentMethod" })
export type PaymentMethod = typeof PaymentMethod.Type

/**
 * The state of a payment:
 * - `pending`: created, the charge has not been answered yet
 * - `pending_unknown`: the charge timed out or the processor failed mid-call, so its outcome is unknown; it is resolved
 *   by asking the processor again with the same idempotency key, never by charging again
 * - `succeeded`: charged; `failed`: declined or abandoned, nothing charged; `refunded`: charged, then refunded
 */
export const PaymentStatus = Schema.Literals(["pending", "pending_unknown", "succeeded", "failed", "refunded"])
  .annotate({ identifier: "PaymentStatus" })
export type PaymentStatus = typeof PaymentStatus.Type

/** One payment for one order. The idempotency key is sent to the processor, so a retry never charges twice. */
export class Payment extends Schema.Class<Payment>("Payment")({
  id: PaymentId,
  orderId: OrderId,
  userId: UserId,
  amountCents: Price,
  currency: Currency,
  method: PaymentMethod,
  status: PaymentStatus,
  idempotencyKey: IdempotencyKey,
  transactionId: Schema.optionalKey(TransactionId),
  failureReason: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 500))),
  attempts: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {}
