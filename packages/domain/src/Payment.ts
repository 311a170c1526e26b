import { Schema } from "effect"
import { IdempotencyKey, OrderId, PaymentId, TransactionId } from "./Ids.ts"
import { Cents, Currency, formatDecimal } from "./Money.ts"
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
 * The largest amount the card processor accepts in one charge, in cents (999,999.99, Stripe's limit for USD). An
 * order whose total is above it could never be paid, so it is refused when it is placed.
 */
export const MaxChargeCents = 99_999_999

/** An amount one charge may take: 1 cent to {@link MaxChargeCents}. */
export const ChargeAmount = Price.check(
  Schema.isLessThanOrEqualTo(MaxChargeCents, {
    expected: `an amount of at most ${formatDecimal(Cents.make(MaxChargeCents))}, the card processor's limit`
  })
).annotate({ identifier: "ChargeAmount" })

/**
 * The state of a payment:
 * - `pending`: created, the charge has not been answered yet
 * - `pending_unknown`: the charge timed out or the processor failed mid-call, so its outcome is unknown; it is resolved
 *   by asking the processor again with the same idempotency key, never by charging again
 * - `succeeded`: charged (possibly refunded in part, see `refundedCents`); `failed`: declined or never processed,
 *   nothing charged; `refunded`: charged, then refunded in full
 */
export const PaymentStatus = Schema.Literals(["pending", "pending_unknown", "succeeded", "failed", "refunded"])
  .annotate({ identifier: "PaymentStatus" })
export type PaymentStatus = typeof PaymentStatus.Type

/**
 * The state of one refund: `pending` until the processor confirmed it (`succeeded`); `parked` when the processor kept
 * refusing it and an operator must look (retried on their word); `failed` only on rows from before refunds were
 * retried.
 */
export const RefundStatus = Schema.Literals(["pending", "succeeded", "failed", "parked"]).annotate({
  identifier: "RefundStatus"
})
export type RefundStatus = typeof RefundStatus.Type

/** Money given back on a payment, in full or in part. */
export class Refund extends Schema.Class<Refund>("Refund")({
  id: Schema.String.check(Schema.isPattern(/^re_[A-Za-z0-9_-]{1,64}$/u)),
  paymentId: PaymentId,
  amountCents: Price,
  status: RefundStatus,
  /** The processor's refund id, once it accepted the refund. */
  transactionId: Schema.optionalKey(TransactionId),
  failureReason: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 500))),
  reason: Schema.String.check(Schema.isMaxLength(200)),
  /** The caller's idempotency key of the refund request. */
  idempotencyKey: Schema.optionalKey(IdempotencyKey),
  createdAt: Timestamp
}) {}

/** One payment for one order. The processor sees a key derived from the order, so a retry never charges twice. */
export class Payment extends Schema.Class<Payment>("Payment")({
  id: PaymentId,
  orderId: OrderId,
  amountCents: Price,
  currency: Currency,
  method: PaymentMethod,
  status: PaymentStatus,
  /** The caller's idempotency key of the charge request. */
  idempotencyKey: IdempotencyKey,
  /** The processor's charge id, once it accepted the charge. */
  transactionId: Schema.optionalKey(TransactionId),
  failureReason: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 500))),
  /** Sum of the refunds the processor confirmed. */
  refundedCents: Schema.optionalKey(Cents),
  refunds: Schema.optionalKey(Schema.Array(Refund)),
  createdAt: Timestamp,
  updatedAt: Timestamp
}) {
  /** Charged and not given back in full: the customer paid `amountCents - refundedCents`. */
  get isCaptured(): boolean {
    return this.status === "succeeded"
  }

  /** Charged, then given back in part: neither a clean success nor a refund. */
  get isPartiallyRefunded(): boolean {
    return this.status === "succeeded" && (this.refundedCents ?? 0) > 0
  }
}
