import {
  AdminSaga,
  BreakerJson,
  ConsumerLagJson,
  DeadLetterJson,
  decodeInput,
  OutboxBacklogJson,
  ParkedRefundJson,
  RefundRetried,
  type RefundStatus
} from "@shop/domain"
import type * as notification from "@shop/proto/notification/v1/notification_admin"
import type * as order from "@shop/proto/order/v1/order_admin"
import { RefundStatus as ProtoRefundStatus } from "@shop/proto/payment/v1/payment"
import type * as payment from "@shop/proto/payment/v1/payment_admin"
import { Effect, Schema } from "effect"

/**
 * The admin services' replies -> the REST contract's admin shapes, decoded with the contract's schemas: a reply that
 * does not decode is a bug of the peer, a defect (500, logged).
 */

const ifSet = <K extends string>(key: K, value: string) => (value === "" ? {} : { [key]: value })

const decoded = <S extends Schema.Decoder<unknown>>(schema: S) => {
  const decode = decodeInput(schema)
  return (encoded: unknown): Effect.Effect<S["Type"], never, S["DecodingServices"]> => Effect.orDie(decode(encoded))
}

const decodeSaga = decoded(AdminSaga)
const decodeRefund = decoded(ParkedRefundJson)
const decodeRetried = decoded(RefundRetried)
const decodeDeadLetter = decoded(DeadLetterJson)
const decodeBreaker = decoded(BreakerJson)
const decodeLag = decoded(ConsumerLagJson)
const decodeBacklog = decoded(OutboxBacklogJson)

export const toSaga = (saga: order.SagaSummary | undefined) =>
  decodeSaga(
    saga === undefined ? undefined : {
      order_id: saga.orderId,
      saga_id: saga.sagaId,
      step: saga.step,
      state: saga.state,
      attempts: saga.attempts,
      next_attempt_at: saga.nextAttemptAt,
      created_at: saga.createdAt,
      updated_at: saga.updatedAt,
      ...ifSet("last_error", saga.lastError),
      ...ifSet("failure_reason", saga.failureReason)
    }
  )

export const toParkedRefund = (refund: payment.ParkedRefund) =>
  decodeRefund({
    refund_id: refund.refundId,
    payment_id: refund.paymentId,
    amount: refund.amountCents / 100,
    currency: refund.currency,
    attempts: refund.attempts,
    reason: refund.reason,
    created_at: refund.createdAt,
    parked_at: refund.updatedAt,
    ...ifSet("order_id", refund.orderId),
    ...ifSet("last_error", refund.lastError)
  })

const refundStatuses: Record<ProtoRefundStatus, RefundStatus | undefined> = {
  [ProtoRefundStatus.UNSPECIFIED]: undefined,
  [ProtoRefundStatus.UNRECOGNIZED]: undefined,
  [ProtoRefundStatus.PENDING]: "pending",
  [ProtoRefundStatus.SUCCEEDED]: "succeeded",
  [ProtoRefundStatus.FAILED]: "failed",
  [ProtoRefundStatus.PARKED]: "parked"
}

export const toRefundRetried = (reply: order.RetryRefundResponse) =>
  decodeRetried({
    refund_id: reply.refundId,
    status: refundStatuses[reply.status],
    attempts: reply.attempts,
    ...ifSet("last_error", reply.lastError)
  })

export const toDeadLetter = (letter: notification.DeadLetter | undefined) =>
  decodeDeadLetter(
    letter === undefined ? undefined : {
      id: letter.id,
      event_id: letter.eventId,
      type: letter.type,
      error: letter.error,
      attempts: letter.attempts,
      ...ifSet("notification_id", letter.notificationId),
      ...ifSet("created_at", letter.createdAt)
    }
  )

export const toBreaker = (breaker: order.BreakerState) => decodeBreaker(breaker)

export const toConsumerLag = (lag: notification.ConsumerLag) =>
  decodeLag({ service: "notification", group: lag.group, transport: lag.transport, lag: lag.lag })

export const toOutboxBacklog = (backlog: order.GetOutboxBacklogResponse) =>
  decodeBacklog({
    service: backlog.service,
    pending: backlog.pending,
    ...ifSet("oldest_at", backlog.oldestAt),
    topics: backlog.topics.map((topic) => ({
      topic: topic.topic,
      pending: topic.pending,
      ...ifSet("oldest_at", topic.oldestAt)
    }))
  })
