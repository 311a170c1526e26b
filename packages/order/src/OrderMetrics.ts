import { Metric } from "effect"

/** Business metrics of the order service. */
export const ordersCreated = Metric.counter("orders_created_total", {
  description: "Orders accepted (first creation only, replays excluded)",
  incremental: true
})

export const ordersConfirmed = Metric.counter("orders_confirmed_total", {
  description: "Orders whose saga ended confirmed",
  incremental: true
})

/** Labelled by `reason` (insufficient_stock, payment_declined, payment_unavailable, timeout, internal). */
export const ordersFailed = Metric.counter("orders_failed_total", {
  description: "Orders whose saga ended failed, by reason",
  incremental: true
})

/** In currency units (e.g. dollars, cents / 100) of confirmed orders. */
export const orderRevenue = Metric.counter("order_revenue_total", {
  description: "Revenue of confirmed orders in currency units",
  incremental: true
})

export const sagaStepDuration = Metric.histogram("saga_step_duration_seconds", {
  description: "Duration of one saga step, remote calls included",
  boundaries: Metric.exponentialBoundaries({ start: 0.001, factor: 2, count: 16 })
})
