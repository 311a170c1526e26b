import { decodeInput, OrderId, type Payment, PaymentId, type Refund, ValidationError } from "@shop/domain"
import {
  type CancelPaymentRequest,
  type GetPaymentRequest,
  type Payment as ProtoPayment,
  PaymentStatus,
  type ProcessPaymentRequest,
  type Refund as ProtoRefund,
  type RefundPaymentRequest,
  RefundStatus
} from "@shop/proto/payment/v1/payment"
import { DateTime, Effect, Schema } from "effect"
import { CancelCommand, ChargeCommand, type PaymentLookup } from "../Payments.ts"
import { RefundCommand } from "../Refunds.ts"

/** shop.payment.v1 <-> domain. Requests are decoded with the domain's schemas; proto types stop here. */

/** A ProcessPayment request as a charge command; a broken rule is a ValidationError naming its field. */
export const decodeCharge: (request: ProcessPaymentRequest) => Effect.Effect<ChargeCommand, ValidationError> =
  decodeInput(ChargeCommand)

/** A CancelPayment request as a cancel command. */
export const decodeCancel: (request: CancelPaymentRequest) => Effect.Effect<CancelCommand, ValidationError> =
  decodeInput(CancelCommand)

/** A RefundPayment request as a refund command; an unset amount stays unset (refund all that is left). */
export const decodeRefund: (request: RefundPaymentRequest) => Effect.Effect<RefundCommand, ValidationError> =
  decodeInput(RefundCommand)

const ByPayment = decodeInput(Schema.Struct({ paymentId: PaymentId }))
const ByOrder = decodeInput(Schema.Struct({ orderId: OrderId }))

/** The payment a GetPayment request names, by payment id or by order id. */
export const decodeLookup = (request: GetPaymentRequest): Effect.Effect<PaymentLookup, ValidationError> => {
  if (request.paymentId !== undefined && request.paymentId !== "") return ByPayment(request)
  if (request.orderId !== undefined && request.orderId !== "") return ByOrder(request)
  return Effect.fail(new ValidationError({ field: "lookup", detail: "payment_id or order_id is required" }))
}

const paymentStatus = (payment: Payment): PaymentStatus => {
  switch (payment.status) {
    case "pending":
      return PaymentStatus.PENDING
    case "pending_unknown":
      return PaymentStatus.PENDING_UNKNOWN
    case "succeeded":
      return payment.isPartiallyRefunded ? PaymentStatus.PARTIALLY_REFUNDED : PaymentStatus.SUCCEEDED
    case "failed":
      return PaymentStatus.FAILED
    case "refunded":
      return PaymentStatus.REFUNDED
  }
}

/** A refund status of the domain, as shop.payment.v1 spells it. */
export const refundStatus = {
  pending: RefundStatus.PENDING,
  succeeded: RefundStatus.SUCCEEDED,
  failed: RefundStatus.FAILED,
  parked: RefundStatus.PARKED
} as const

export const encodeRefund = (refund: Refund, payment: Payment): ProtoRefund => ({
  refundId: refund.id,
  paymentId: refund.paymentId,
  amountCents: refund.amountCents,
  currency: payment.currency,
  status: refundStatus[refund.status],
  providerRefundId: refund.transactionId ?? "",
  failureReason: refund.failureReason ?? "",
  idempotencyKey: refund.idempotencyKey ?? "",
  createdAt: DateTime.formatIso(refund.createdAt),
  reason: refund.reason
})

export const encodePayment = (payment: Payment): ProtoPayment => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  status: paymentStatus(payment),
  amountCents: payment.amountCents,
  currency: payment.currency,
  providerChargeId: payment.transactionId ?? "",
  failureReason: payment.failureReason ?? "",
  createdAt: DateTime.formatIso(payment.createdAt),
  updatedAt: DateTime.formatIso(payment.updatedAt),
  idempotencyKey: payment.idempotencyKey,
  refundedCents: payment.refundedCents ?? 0,
  refunds: (payment.refunds ?? []).map((refund) => encodeRefund(refund, payment)),
  paymentMethod: payment.method
})
