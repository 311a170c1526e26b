import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { OrderId, PaymentId, SagaId } from "../Ids.ts"
import { Currency, PriceFromDecimal } from "../Money.ts"
import { problemsOf } from "../Operations.ts"
import { RefundStatus } from "../Payment.ts"
import {
  DeadlineExceededProblem,
  ForbiddenProblem,
  InternalErrorProblem,
  ServiceUnavailableProblem
} from "../Problem.ts"
import { SagaStep } from "../SagaStep.ts"
import { Timestamp } from "../Timestamp.ts"
import { Authorization } from "./Authorization.ts"
import { ListOrdersQuery, OrderList } from "./OrdersApi.ts"

/** The id of a refund (`re_...`). */
export const RefundIdParam = Schema.String.check(
  Schema.isPattern(/^re_[A-Za-z0-9_-]{1,64}$/u, { expected: "a refund id such as re_3kTq9" })
).annotate({ identifier: "RefundId" })

/** The id of a dead letter: a positive integer, as text. */
export const DeadLetterId = Schema.String.check(
  Schema.isPattern(/^[1-9][0-9]{0,17}$/u, { expected: "a dead letter id (a positive integer)" })
).annotate({ identifier: "DeadLetterId" })

/**
 * A saga that is not ending on its own. `retrying`: its step failed and waits for its next attempt. `stuck`: its step
 * failed SAGA_MAX_ATTEMPTS times or more (compensations retry without limit), or it has not moved for
 * SAGA_STUCK_AFTER.
 */
export const AdminSaga = Schema.Struct({
  order_id: OrderId,
  saga_id: SagaId,
  /** Listed sagas are never `confirmed` or `failed`, but one an operator retries may end before the answer. */
  step: SagaStep,
  state: Schema.Literals(["retrying", "stuck"]),
  attempts: Schema.Int,
  last_error: Schema.optionalKey(Schema.String),
  next_attempt_at: Timestamp,
  created_at: Timestamp,
  updated_at: Timestamp,
  failure_reason: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "AdminSaga" })
export type AdminSaga = typeof AdminSaga.Type

/** A refund the card processor kept refusing, parked until an operator sends it again. */
export const ParkedRefundJson = Schema.Struct({
  refund_id: RefundIdParam,
  payment_id: PaymentId,
  order_id: Schema.optionalKey(OrderId),
  amount: PriceFromDecimal,
  currency: Currency,
  attempts: Schema.Int,
  last_error: Schema.optionalKey(Schema.String),
  reason: Schema.String,
  created_at: Timestamp,
  parked_at: Timestamp
}).annotate({ identifier: "ParkedRefund" })
export type ParkedRefundJson = typeof ParkedRefundJson.Type

/** A parked refund after an operator sent it again: `succeeded` once the processor confirmed it. */
export const RefundRetried = Schema.Struct({
  refund_id: RefundIdParam,
  status: RefundStatus,
  attempts: Schema.Int,
  last_error: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "RefundRetried" })
export type RefundRetried = typeof RefundRetried.Type

/** A notification given up after every channel failed, or an event that could not be decoded. */
export const DeadLetterJson = Schema.Struct({
  id: DeadLetterId,
  event_id: Schema.String,
  type: Schema.String,
  error: Schema.String,
  attempts: Schema.Int,
  notification_id: Schema.optionalKey(Schema.String),
  created_at: Schema.optionalKey(Timestamp)
}).annotate({ identifier: "DeadLetter" })
export type DeadLetterJson = typeof DeadLetterJson.Type

/** One circuit breaker, as the process holding it reports it. */
export const BreakerJson = Schema.Struct({
  service: Schema.String,
  dependency: Schema.String,
  state: Schema.Literals(["closed", "half_open", "open", "unknown"])
}).annotate({ identifier: "CircuitBreaker" })
export type BreakerJson = typeof BreakerJson.Type

/** Events a consumer group has not processed yet, as its consumer last measured. */
export const ConsumerLagJson = Schema.Struct({
  service: Schema.String,
  group: Schema.String,
  transport: Schema.Literals(["event_log", "kafka"]),
  lag: Schema.Int
}).annotate({ identifier: "ConsumerLag" })
export type ConsumerLagJson = typeof ConsumerLagJson.Type

/** Events written to a service's outbox and not yet published. */
export const OutboxBacklogJson = Schema.Struct({
  service: Schema.String,
  pending: Schema.Int,
  oldest_at: Schema.optionalKey(Timestamp),
  topics: Schema.Array(Schema.Struct({
    topic: Schema.String,
    pending: Schema.Int,
    oldest_at: Schema.optionalKey(Timestamp)
  }))
}).annotate({ identifier: "OutboxBacklog" })
export type OutboxBacklogJson = typeof OutboxBacklogJson.Type

const unavailable = [ServiceUnavailableProblem, DeadlineExceededProblem, InternalErrorProblem] as const
const admin = [ForbiddenProblem, ...unavailable] as const

/**
 * The operator console's API: what is not going well, and the actions that set it right. Every endpoint needs a
 * token with the `admin` role (401 without a valid token, 403 without the role).
 */
export class AdminApi extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.get("orders", "/api/v1/admin/orders", {
      query: ListOrdersQuery,
      success: OrderList,
      error: [...problemsOf("listAllOrders"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Every customer's orders",
      description: "Admin only. The orders of every user, newest first, optionally of one status; paged like " +
        "`GET /api/v1/orders` (`has_more`, `next_cursor`, `Link`)."
    })),
    HttpApiEndpoint.get("sagas", "/api/v1/admin/sagas", {
      success: Schema.Struct({ sagas: Schema.Array(AdminSaga) }),
      error: [...problemsOf("listSagas"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Sagas retrying or stuck",
      description: "Admin only. Sagas whose step failed and waits for its next attempt, or that are stuck, with " +
        "their step, attempts and last error; oldest first."
    })),
    HttpApiEndpoint.post("retrySaga", "/api/v1/admin/sagas/:order_id/retry", {
      params: { order_id: OrderId },
      success: AdminSaga,
      error: [...problemsOf("retrySaga"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Retry a saga now",
      description: "Admin only. Makes the saga due now instead of after its backoff. 404 for an unknown order, " +
        "409 for a saga that has ended or is being run right now."
    })),
    HttpApiEndpoint.get("refunds", "/api/v1/admin/refunds", {
      success: Schema.Struct({ refunds: Schema.Array(ParkedRefundJson) }),
      error: [...problemsOf("listParkedRefunds"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Parked refunds",
      description: "Admin only. Refunds the card processor kept refusing (REFUND_MAX_ATTEMPTS), with its last answer."
    })),
    HttpApiEndpoint.post("retryRefund", "/api/v1/admin/refunds/:refund_id/retry", {
      params: { refund_id: RefundIdParam },
      success: RefundRetried,
      error: [...problemsOf("retryRefund"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Retry a parked refund",
      description: "Admin only. Sends the refund to the processor again, now, and answers its state after that " +
        "attempt: succeeded once the processor confirmed it, pending or parked again if not. 404 for an unknown " +
        "refund, 409 for one that is not parked."
    })),
    HttpApiEndpoint.get("deadLetters", "/api/v1/admin/dead-letters", {
      success: Schema.Struct({ dead_letters: Schema.Array(DeadLetterJson) }),
      error: [...problemsOf("listDeadLetters"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Notification dead letters",
      description: "Admin only. Notifications that exhausted every channel, and events that could not be decoded."
    })),
    HttpApiEndpoint.post("redriveDeadLetter", "/api/v1/admin/dead-letters/:id/redrive", {
      params: { id: DeadLetterId },
      success: DeadLetterJson,
      error: [...problemsOf("redriveDeadLetter"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Redrive a dead letter",
      description: "Admin only. Puts the notification back in the delivery queue. 404 for an unknown dead letter, " +
        "409 for one already redriven or without a delivery to retry."
    })),
    HttpApiEndpoint.get("breakers", "/api/v1/admin/breakers", {
      success: Schema.Struct({ breakers: Schema.Array(BreakerJson) }),
      error: [...problemsOf("listBreakers"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Circuit breakers",
      description: "Admin only. order -> product, order -> payment and payment -> card processor, as the process " +
        "holding each reports it (shared by every replica when the breakers live in Redis)."
    })),
    HttpApiEndpoint.get("consumers", "/api/v1/admin/consumers", {
      success: Schema.Struct({ consumers: Schema.Array(ConsumerLagJson) }),
      error: [...problemsOf("consumerLag"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Consumer lag",
      description: "Admin only. Events each consumer group has not processed yet (head minus committed position), " +
        "as the consumer measured at its last poll or batch."
    })),
    HttpApiEndpoint.get("outbox", "/api/v1/admin/outbox", {
      success: OutboxBacklogJson,
      error: [...problemsOf("outboxBacklog"), ...admin]
    }).annotateMerge(OpenApi.annotations({
      summary: "Outbox backlog",
      description: "Admin only. Events written to the order service's outbox and not yet published, per topic, " +
        "with the oldest one's time."
    }))
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Operations", description: "The operator console (admin role)" }))
{}
