import {
  Cents,
  Currency,
  IdempotencyKey,
  OrderId,
  Payment,
  PaymentId,
  PaymentMethod,
  PaymentStatus,
  Price,
  Refund,
  RefundStatus,
  TransactionId
} from "@shop/domain"
import { fromBigInt, Instant, NullAsUndefined } from "@shop/service-defaults/SqlColumns"
import { Schema } from "effect"

/**
 * The payment service's records: a payment with what only this service needs (the processor's idempotency keys),
 * and its refunds. They are decoded from the driver's rows with these schemas (`PaymentRow`, `RefundRow`), and shown
 * to other services as the domain's `Payment` with its `Refund`s.
 */

/** Processor idempotency keys, derived from the order and the operation, never from the caller's key. */
export const PaymentKeys = {
  charge: (orderId: OrderId) => `charge:${orderId}`,
  refund: (paymentId: PaymentId, seq: number) => `refund:${paymentId}:${seq}`
}

/** The id of a refund: `re_` and the body of an id generated for it. */
export const RefundId = Refund.fields.id
export type RefundId = typeof RefundId.Type

/** One payment of one order, as stored. */
export const PaymentRecord = Schema.Struct({
  id: PaymentId,
  orderId: OrderId,
  status: PaymentStatus,
  amountCents: fromBigInt(Price),
  currency: Currency,
  paymentMethod: PaymentMethod,
  providerChargeId: NullAsUndefined(TransactionId),
  /** `charge:<order_id>`: the same for every attempt at this order, whoever the caller. */
  providerIdempotencyKey: Schema.String,
  failureReason: NullAsUndefined(Schema.String),
  refundedCents: fromBigInt(Cents),
  /** The caller's key of the first charge request (empty on rows older than the refunds migration). */
  idempotencyKey: Schema.String,
  /** How many times the processor has been asked about an unknown outcome without a definite answer. */
  checks: Schema.Int,
  createdAt: Instant,
  updatedAt: Instant
})
export type PaymentRecord = typeof PaymentRecord.Type

/** A row of `payments`: a {@link PaymentRecord} with the table's column names. */
export const PaymentRow = PaymentRecord.pipe(Schema.encodeKeys({
  orderId: "order_id",
  amountCents: "amount_cents",
  paymentMethod: "payment_method",
  providerChargeId: "provider_charge_id",
  providerIdempotencyKey: "provider_idempotency_key",
  failureReason: "failure_reason",
  refundedCents: "refunded_cents",
  idempotencyKey: "idempotency_key",
  createdAt: "created_at",
  updatedAt: "updated_at"
}))

/** One refund of a payment, as stored. */
export const RefundRecord = Schema.Struct({
  id: RefundId,
  paymentId: PaymentId,
  seq: Schema.Int,
  amountCents: fromBigInt(Price),
  status: RefundStatus,
  providerRefundId: NullAsUndefined(TransactionId),
  /** `refund:<payment_id>:<seq>`. */
  providerIdempotencyKey: Schema.String,
  failureReason: NullAsUndefined(Schema.String),
  reason: Schema.String,
  idempotencyKey: Schema.String,
  /** Attempts the processor did not confirm, and why the last one was not. */
  attempts: Schema.Int,
  lastError: NullAsUndefined(Schema.String),
  createdAt: Instant,
  /** Its last change: for a parked refund, when it was parked. */
  updatedAt: Instant
})
export type RefundRecord = typeof RefundRecord.Type

/** A row of `refunds`. */
export const RefundRow = RefundRecord.pipe(Schema.encodeKeys({
  paymentId: "payment_id",
  amountCents: "amount_cents",
  providerRefundId: "provider_refund_id",
  providerIdempotencyKey: "provider_idempotency_key",
  failureReason: "failure_reason",
  idempotencyKey: "idempotency_key",
  lastError: "last_error",
  createdAt: "created_at",
  updatedAt: "updated_at"
}))

const present = <K extends string, A>(key: K, value: A | undefined) =>
  (value === undefined || value === "" ? {} : { [key]: value }) as { readonly [P in K]?: A }

/** A refund as other services see it. */
export const toRefund = (refund: RefundRecord): Refund =>
  new Refund({
    id: refund.id,
    paymentId: refund.paymentId,
    amountCents: refund.amountCents,
    status: refund.status,
    reason: refund.reason.slice(0, 200),
    ...present("transactionId", refund.providerRefundId),
    ...present("failureReason", refund.failureReason),
    ...present("idempotencyKey", IdempotencyKey.make(refund.idempotencyKey)),
    createdAt: refund.createdAt
  }, { disableChecks: true })

const decodeKey = Schema.decodeSync(Payment.fields.idempotencyKey)

/** A payment as other services see it, with its refunds. */
export const toPayment = (payment: PaymentRecord, refunds: ReadonlyArray<RefundRecord>): Payment =>
  new Payment({
    id: payment.id,
    orderId: payment.orderId,
    amountCents: payment.amountCents,
    currency: payment.currency,
    method: payment.paymentMethod,
    status: payment.status,
    // Rows from before the caller's key was stored show the processor's key: it names the same request.
    idempotencyKey: decodeKey(payment.idempotencyKey === "" ? payment.providerIdempotencyKey : payment.idempotencyKey),
    ...present("transactionId", payment.providerChargeId),
    ...present("failureReason", payment.failureReason),
    refundedCents: payment.refundedCents,
    refunds: refunds.map(toRefund),
    createdAt: payment.createdAt,
    updatedAt: payment.updatedAt
  }, { disableChecks: true })
