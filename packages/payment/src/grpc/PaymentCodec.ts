import { ValidationError } from "@shop/domain"
import {
  type GetPaymentRequest,
  type Payment,
  PaymentStatus,
  type ProcessPaymentRequest,
  type Refund,
  type RefundPaymentRequest,
  RefundStatus
} from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import type { PaymentRecord, RefundRecord } from "../PaymentRecord.ts"
import type { PaymentLookup, PaymentView, ProcessPayment } from "../Payments.ts"
import type { RefundPayment } from "../Refunds.ts"

/** Decodes shop.payment.v1 messages into commands and encodes payments back; proto types stop here. */
export const toProcessPayment = (request: ProcessPaymentRequest, caller: string): ProcessPayment => ({
  caller,
  orderId: request.orderId,
  amountCents: request.amountCents,
  currency: request.currency,
  paymentMethod: request.paymentMethod,
  idempotencyKey: request.idempotencyKey
})

export const toRefundPayment = (request: RefundPaymentRequest, caller: string): RefundPayment => ({
  caller,
  paymentId: request.paymentId,
  idempotencyKey: request.idempotencyKey,
  amountCents: request.amountCents,
  reason: request.reason
})

export const toLookup = (request: GetPaymentRequest): Effect.Effect<PaymentLookup, ValidationError> => {
  if (request.paymentId !== undefined && request.paymentId !== "") {
    return Effect.succeed({ paymentId: request.paymentId })
  }
  if (request.orderId !== undefined && request.orderId !== "") return Effect.succeed({ orderId: request.orderId })
  return Effect.fail(new ValidationError({ field: "lookup", detail: "payment_id or order_id is required" }))
}

const paymentStatus = (payment: PaymentRecord): PaymentStatus => {
  switch (payment.status) {
    case "pending":
      return PaymentStatus.PENDING
    case "pending_unknown":
      return PaymentStatus.PENDING_UNKNOWN
    case "succeeded":
      return payment.refundedCents > 0 ? PaymentStatus.PARTIALLY_REFUNDED : PaymentStatus.SUCCEEDED
    case "failed":
      return PaymentStatus.FAILED
    case "refunded":
      return PaymentStatus.REFUNDED
  }
}

const refundStatus = {
  pending: RefundStatus.PENDING,
  succeeded: RefundStatus.SUCCEEDED,
  failed: RefundStatus.FAILED
} as const

export const fromRefund = (refund: RefundRecord, currency: string): Refund => ({
  refundId: refund.id,
  paymentId: refund.paymentId,
  amountCents: refund.amountCents,
  currency,
  status: refundStatus[refund.status],
  providerRefundId: refund.providerRefundId ?? "",
  failureReason: refund.failureReason ?? "",
  idempotencyKey: refund.idempotencyKey,
  createdAt: refund.createdAt.toISOString()
})

export const fromPayment = ({ payment, refunds }: PaymentView): Payment => ({
  paymentId: payment.id,
  orderId: payment.orderId,
  status: paymentStatus(payment),
  amountCents: payment.amountCents,
  currency: payment.currency,
  providerChargeId: payment.providerChargeId ?? "",
  failureReason: payment.failureReason ?? "",
  createdAt: payment.createdAt.toISOString(),
  updatedAt: payment.updatedAt.toISOString(),
  idempotencyKey: payment.idempotencyKey,
  refundedCents: payment.refundedCents,
  refunds: refunds.map((refund) => fromRefund(refund, payment.currency))
})
