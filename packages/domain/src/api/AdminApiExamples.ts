import type {
  AdminSaga,
  BreakerJson,
  ConsumerLagJson,
  DeadLetterJson,
  OutboxBacklogJson,
  ParkedRefundJson,
  RefundRetried
} from "./AdminApi.ts"

/**
 * The examples of the operator console's endpoints in the OpenAPI document: one checkout whose charge came after its
 * stock's hold ran out, so its refund is owed, and the processor refused it. Typed with the contract's wire shapes
 * like the other examples (`OpenApiExamples.ts`), and validated against the document by `OpenApiDocument.test.ts`.
 */

type Wire<S extends { readonly Encoded: unknown }> = S["Encoded"]

/** A saga waiting in its refund step for a refund the processor refused. */
export const saga: Wire<typeof AdminSaga> = {
  order_id: "ord_xyz789",
  saga_id: "saga_123",
  step: "refund",
  state: "retrying",
  attempts: 3,
  last_error: "payment pay_456 not settled yet (succeeded)",
  next_attempt_at: "2025-10-21T10:36:10Z",
  created_at: "2025-10-21T10:35:00Z",
  updated_at: "2025-10-21T10:35:40Z",
  failure_reason: "reservation_expired"
}

/** The same saga, made due now by an operator. */
export const retriedSaga: Wire<typeof AdminSaga> = { ...saga, next_attempt_at: "2025-10-21T10:35:45Z" }

/** Its refund, parked after the processor's refusals. */
export const parkedRefund: Wire<typeof ParkedRefundJson> = {
  refund_id: "re_3kTq9",
  payment_id: "pay_456",
  order_id: "ord_xyz789",
  amount: 89.97,
  currency: "USD",
  attempts: 8,
  last_error: "ProviderDeclined: the refund was refused",
  reason: "timeout",
  created_at: "2025-10-21T10:35:20Z",
  parked_at: "2025-10-21T10:41:00Z"
}

/** The refund sent again once the cause was settled with the processor: confirmed. */
export const refundRetried: Wire<typeof RefundRetried> = { refund_id: "re_3kTq9", status: "succeeded", attempts: 0 }

/** An SMS that failed three times, after its email had failed too. */
export const deadLetter: Wire<typeof DeadLetterJson> = {
  id: "12",
  event_id: "evt_01jb6y2k8j9q4t5v6w7x8y9z0a",
  type: "notification.sms",
  error: "sms provider answered 500",
  attempts: 3,
  notification_id: "ntf_01jb6y2k8j9q4t5v6w7x8y9z0b",
  created_at: "2025-10-21T10:40:00Z"
}

/** Every breaker of the platform, the payment service's processor breaker open. */
export const breakers: ReadonlyArray<Wire<typeof BreakerJson>> = [
  { service: "order", dependency: "product", state: "closed" },
  { service: "order", dependency: "payment", state: "closed" },
  { service: "payment", dependency: "payment-provider", state: "open" }
]

/** The notification service's consumer, a few events behind. */
export const consumers: ReadonlyArray<Wire<typeof ConsumerLagJson>> = [
  { service: "notification", group: "notification", transport: "kafka", lag: 4 }
]

/** Two events of one order not published yet. */
export const outboxBacklog: Wire<typeof OutboxBacklogJson> = {
  service: "order",
  pending: 2,
  oldest_at: "2025-10-21T10:35:00Z",
  topics: [{ topic: "shop.orders", pending: 2, oldest_at: "2025-10-21T10:35:00Z" }]
}
