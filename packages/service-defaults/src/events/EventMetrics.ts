import { Metric } from "effect"

/** Events a consumer group has not processed yet: head of the log (or partition) minus its committed position. */
export const consumerLag = Metric.gauge("event_consumer_lag", {
  description: "Events not yet processed by a consumer group (head offset - committed offset)."
})

/** Outbox rows written but not yet acknowledged by the transport. */
export const outboxPending = Metric.gauge("outbox_pending", {
  description: "Outbox rows not yet published."
})

/** Outbox rows published, by outcome (published | failed). */
export const outboxPublished = Metric.counter("outbox_published_total", {
  description: "Outbox rows handed to the transport, by outcome.",
  incremental: true
})
