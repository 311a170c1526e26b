import { OrderFailureReason, OrderId, PaymentId, SagaId, SagaStep, Traceparent } from "@shop/domain"
import { type DateTime, Schema } from "effect"

/**
 * The persisted state of the saga of one order: the step to run next and what earlier steps learned. The steps
 * themselves are the order's business (`CheckoutSaga.ts`); this file and its neighbours are the mechanism.
 */

/** Steps of the checkout saga (the domain's vocabulary, which the operator console shows too). */
export { SagaStep } from "@shop/domain"

/** The steps that still have work to do. */
export type ActiveStep = Exclude<SagaStep, "confirmed" | "failed">

/** Whether the saga has ended. */
export const isTerminal = (step: SagaStep): step is "confirmed" | "failed" => step === "confirmed" || step === "failed"

/** Why a compensating saga will end failed: the event's reason and the order's `failure_reason` text. */
export class SagaFailure extends Schema.Class<SagaFailure>("SagaFailure")({
  reason: OrderFailureReason,
  detail: Schema.String
}) {}

/** What the steps of a saga learn as it runs, carried from one step to the next. */
export interface SagaFacts {
  /** Why it will end failed; the first failure recorded wins. */
  readonly failure?: SagaFailure | undefined
  readonly paymentId?: PaymentId | undefined
  /** When the stock held for the order will be released unless committed. */
  readonly reservationExpiresAt?: DateTime.Utc | undefined
  /** The processor confirmed that the charge was refunded. */
  readonly refunded?: boolean | undefined
}

/** The saga of one order as stored. */
export class SagaState extends Schema.Class<SagaState>("SagaState")({
  orderId: OrderId,
  sagaId: SagaId,
  step: SagaStep,
  /** Failed attempts at the current step. */
  attempts: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  failure: Schema.optionalKey(SagaFailure),
  paymentId: Schema.optionalKey(PaymentId),
  reservationExpiresAt: Schema.optionalKey(Schema.DateTimeUtc),
  refunded: Schema.Boolean,
  /** The trace of the request that placed the order: every step and event continues it. */
  traceparent: Schema.optionalKey(Traceparent)
}) {
  /** The state after moving to `step` with what the last step learned; attempts start over. */
  advance(step: SagaStep, facts: SagaFacts): SagaState {
    const failure = this.failure ?? facts.failure
    const paymentId = facts.paymentId ?? this.paymentId
    const expiresAt = facts.reservationExpiresAt ?? this.reservationExpiresAt
    return new SagaState({
      orderId: this.orderId,
      sagaId: this.sagaId,
      step,
      attempts: 0,
      refunded: this.refunded || facts.refunded === true,
      ...(failure === undefined ? {} : { failure }),
      ...(paymentId === undefined ? {} : { paymentId }),
      ...(expiresAt === undefined ? {} : { reservationExpiresAt: expiresAt }),
      ...(this.traceparent === undefined ? {} : { traceparent: this.traceparent })
    }, { disableChecks: true })
  }
}
