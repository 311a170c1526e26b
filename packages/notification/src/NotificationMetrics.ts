import { Metric } from "effect"

/** Delivery attempts by channel (email | sms) and outcome (sent | retry | failed | dead | capped). */
export const notificationsSent = Metric.counter("notifications_sent_total", {
  description: "Notification delivery attempts, by channel and outcome.",
  incremental: true
})

/** Messages or events parked in the dead-letter store, by reason. */
export const deadLetters = Metric.counter("dead_letters_total", {
  description: "Records written to the dead-letter store.",
  incremental: true
})

export const countSent = (channel: string, outcome: string) =>
  Metric.update(Metric.withAttributes(notificationsSent, { channel, outcome }), 1)

export const countDeadLetter = (reason: string) => Metric.update(Metric.withAttributes(deadLetters, { reason }), 1)
