/** The states a payment row can be in (see the payments migration). */
export type PaymentState = "pending" | "pending_unknown" | "succeeded" | "failed" | "refunded"

/** One payment of one order, as stored by the payment service. */
export interface PaymentRecord {
  readonly id: string
  readonly orderId: string
  readonly status: PaymentState
  readonly amountCents: number
  readonly currency: string
  readonly paymentMethod: string
  readonly providerChargeId: string | undefined
  /** `charge:<order_id>`: the same for every attempt at this order, whoever the caller. */
  readonly providerIdempotencyKey: string
  readonly failureReason: string | undefined
  readonly refundedCents: number
  readonly idempotencyKey: string
  readonly createdAt: Date
  readonly updatedAt: Date
}

export type RefundState = "pending" | "succeeded" | "failed"

export interface RefundRecord {
  readonly id: string
  readonly paymentId: string
  readonly seq: number
  readonly amountCents: number
  readonly status: RefundState
  readonly providerRefundId: string | undefined
  /** `refund:<payment_id>:<seq>`. */
  readonly providerIdempotencyKey: string
  readonly failureReason: string | undefined
  readonly reason: string
  readonly idempotencyKey: string
  readonly createdAt: Date
}

/** Processor idempotency keys, derived from the order and the operation, never from the caller's key. */
export const PaymentKeys = {
  charge: (orderId: string) => `charge:${orderId}`,
  refund: (paymentId: string, seq: number) => `refund:${paymentId}:${seq}`
}

const optional = (value: unknown): string | undefined =>
  value === null || value === undefined || value === "" ? undefined : String(value)

const date = (value: unknown): Date => value instanceof Date ? value : new Date(String(value))

export const toPayment = (row: Record<string, unknown>): PaymentRecord => ({
  id: String(row.id),
  orderId: String(row.order_id),
  status: row.status as PaymentState,
  amountCents: Number(row.amount_cents),
  currency: String(row.currency),
  paymentMethod: String(row.payment_method),
  providerChargeId: optional(row.provider_charge_id),
  providerIdempotencyKey: String(row.provider_idempotency_key),
  failureReason: optional(row.failure_reason),
  refundedCents: Number(row.refunded_cents),
  idempotencyKey: String(row.idempotency_key ?? ""),
  createdAt: date(row.created_at),
  updatedAt: date(row.updated_at)
})

export const toRefund = (row: Record<string, unknown>): RefundRecord => ({
  id: String(row.id),
  paymentId: String(row.payment_id),
  seq: Number(row.seq),
  amountCents: Number(row.amount_cents),
  status: row.status as RefundState,
  providerRefundId: optional(row.provider_refund_id),
  providerIdempotencyKey: String(row.provider_idempotency_key),
  failureReason: optional(row.failure_reason),
  reason: String(row.reason ?? ""),
  idempotencyKey: String(row.idempotency_key),
  createdAt: date(row.created_at)
})
