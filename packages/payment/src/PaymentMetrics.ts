import { Metric } from "effect"

/** Payment outcomes: succeeded, declined, failed, pending_unknown, refunded. */
export const paymentsTotal = Metric.counter("payments_total", {
  description: "Payments by outcome (succeeded, declined, failed, pending_unknown, refunded).",
  incremental: true
})

export type PaymentOutcome = "succeeded" | "declined" | "failed" | "pending_unknown" | "refunded"

export const countPayment = (outcome: PaymentOutcome) =>
  Metric.update(Metric.withAttributes(paymentsTotal, { outcome }), 1)

/** Duration of one HTTP attempt to the card processor, by operation and outcome. */
export const providerRequestSeconds = Metric.histogram("payment_provider_request_duration_seconds", {
  description: "Duration of one attempt to the card processor, in seconds.",
  boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]
})

/** Retries sent to the card processor after a retryable failure. */
export const claimBatchSize = Metric.histogram("payment_claim_batch_size", {
  description:
    "Charges whose key claim and payment insert one statement made: the charges that came while the statements before ran",
  boundaries: [1, 2, 4, 8, 16, 32, 64, 128]
})

export const settleBatchSize = Metric.histogram("payment_settle_batch_size", {
  description: "Payments settled by one statement: the settlements that came while the statements before ran",
  boundaries: [1, 2, 4, 8, 16, 32, 64, 128]
})

export const providerRetriesTotal = Metric.counter("payment_provider_retries_total", {
  description: "Retries of calls to the card processor after a retryable failure.",
  incremental: true
})

/** Payments whose outcome only the processor knows, now. */
export const unknownOutcomes = Metric.gauge("payments_unknown_outcome", {
  description: "Payments whose charge outcome is unknown (pending_unknown), waiting for the processor's answer."
})

/** Age of the oldest of them: an alert fires when the processor has not answered for too long. */
export const unknownOutcomeOldestSeconds = Metric.gauge("payments_unknown_outcome_oldest_seconds", {
  description: "Age in seconds of the oldest payment whose outcome is unknown (0 when none)."
})

/** Refunds the processor kept refusing, waiting for an operator (`npm run refunds`). */
export const refundsParked = Metric.gauge("payment_refunds_parked", {
  description: "Refunds parked after REFUND_MAX_ATTEMPTS refusals by the processor, waiting for an operator."
})

/** Drift between the processor's ledger and the payments, repaired, by kind. */
export const reconciliationRepairs = Metric.counter("payment_reconciliation_repairs_total", {
  description: "Repairs made by the ledger reconciliation, by kind.",
  incremental: true
})

/** State of a circuit breaker by dependency: 0 closed, 1 half-open, 2 open. */
export { breakerStateValue, circuitBreakerState } from "@shop/service-defaults/resilience/BreakerTelemetry"
