import type { OrderFailureReason } from "@shop/domain"

/** Steps of the order saga; `confirmed` and `failed` are terminal. */
export type SagaStep =
  | "reserve"
  | "charge"
  | "await_payment"
  | "commit"
  | "refund"
  | "release"
  | "confirmed"
  | "failed"

export const terminalSteps: ReadonlyArray<SagaStep> = ["confirmed", "failed"]

/** Why a compensating saga will end failed: the event's reason and the order's `failure_reason` text. */
export interface SagaFailure {
  readonly reason: OrderFailureReason
  readonly detail: string
}

/** The persisted state of one saga. */
export interface SagaState {
  readonly orderId: string
  readonly sagaId: string
  readonly step: SagaStep
  readonly attempts: number
  readonly failure: SagaFailure | undefined
  readonly paymentId: string | undefined
  readonly reservationExpiresAt: Date | undefined
  readonly refunded: boolean
  readonly traceparent: string | undefined
}

/** A line of an order, priced from the product service. */
export interface OrderItem {
  readonly productId: string
  readonly name: string
  readonly quantity: number
  readonly unitPriceCents: number
}

export type OrderStatus = "pending" | "confirmed" | "failed" | "cancelled"
export type OrderPaymentStatus = "pending" | "completed" | "failed" | "refunded"

export interface ShippingAddress {
  readonly street: string
  readonly city: string
  readonly state: string
  readonly zip: string
}

/** An order as stored, with its lines. */
export interface OrderRecord {
  readonly id: string
  readonly userId: string
  readonly idempotencyKey: string
  readonly fingerprint: string
  readonly status: OrderStatus
  readonly sagaId: string
  readonly items: ReadonlyArray<OrderItem>
  readonly totalCents: number
  readonly currency: string
  readonly paymentMethod: string
  readonly shippingAddress: ShippingAddress
  readonly paymentStatus: OrderPaymentStatus
  readonly paymentId: string | undefined
  readonly trackingNumber: string | undefined
  readonly failureReason: string | undefined
  readonly createdAt: string
  readonly updatedAt: string
  readonly confirmedAt: string | undefined
}

/** What the saga decided after running one step. */
export type Transition =
  | {
    readonly _tag: "Next"
    readonly step: SagaStep
    readonly failure?: SagaFailure | undefined
    readonly paymentId?: string | undefined
    readonly reservationExpiresAt?: Date | undefined
    readonly refunded?: boolean | undefined
  }
  /** Try the same step again later, with backoff; `error` is kept as `last_error`. */
  | { readonly _tag: "Retry"; readonly error: string }
  | { readonly _tag: "Confirmed"; readonly paymentId: string }
  | { readonly _tag: "Failed" }
