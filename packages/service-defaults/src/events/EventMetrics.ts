import { Metric } from "effect"

/** Events a consumer group has not processed yet: head of the log (or partition) minus its committed position. */
export const consumerLag = Metric.gauge("event_consumer_lag", {
  description: "Events not yet processed by a consumer group (head offset - committed offset)."
})

/** Outbox rows written but not yet acknowledged by the transport. */
export const outboxPending = Metric.gauge("outbox_pending", {
  description: "Outbox rows not yet published."
})

/**
 * Rounds of an outbox relay, by outcome: `idle` (nothing to claim), `drained` (a short batch), `published` (a full
 * one) or `failed`. Many idle rounds under load would mean wake-ups that find nothing.
 */
export const outboxRelayRounds = Metric.counter("outbox_relay_rounds_total", {
  description: "Outbox relay rounds, by outcome.",
  incremental: true
})

/** Outbox rows published, by outcome (published | failed). */
export const outboxPublished = Metric.counter("outbox_published_total", {
  description: "Outbox rows handed to the transport, by outcome.",
  incremental: true
})
