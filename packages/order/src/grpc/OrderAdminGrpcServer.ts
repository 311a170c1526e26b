import { decodeInput, OrderId } from "@shop/domain"
import * as proto from "@shop/proto/order/v1/order_admin"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { breakerState } from "@shop/service-defaults/resilience/BreakerStates"
import { DateTime, Effect, Schema } from "effect"
import { outboxBacklog } from "../admin/OutboxBacklog.ts"
import { SagaAdmin, type SagaSummary } from "../admin/SagaAdmin.ts"
import { PaymentAdminClient } from "../clients/PaymentAdminClient.ts"
import { OrderRepo } from "../OrderRepo.ts"
import { decodePageRequest, encodeOrderPage } from "./OrderCodec.ts"

const iso = (at: DateTime.Utc | undefined) => (at === undefined ? "" : DateTime.formatIso(at))

const encodeSaga = (saga: SagaSummary): proto.SagaSummary => ({
  orderId: saga.order_id,
  sagaId: saga.saga_id,
  step: saga.step,
  state: saga.state,
  attempts: saga.attempts,
  lastError: saga.last_error ?? "",
  nextAttemptAt: iso(saga.next_attempt_at),
  createdAt: iso(saga.created_at),
  updatedAt: iso(saga.updated_at),
  failureReason: saga.failure_reason ?? ""
})

const decodeRetrySaga = decodeInput(Schema.Struct({ orderId: OrderId }))
const defaultLimit = 100
const maxLimit = 500

/**
 * shop.order.v1.OrderAdminService: the operator console's view of the order service (every customer's orders, sagas,
 * outbox, breakers of its peers) and its relay to the payment service's parked refunds. The gateway admits only admins to it.
 */
export const OrderAdminGrpcServer = GrpcService.layer(
  proto.OrderAdminServiceService,
  Effect.gen(function*() {
    const sagas = yield* SagaAdmin
    const payments = yield* PaymentAdminClient
    const orders = yield* OrderRepo
    return {
      listAllOrders: (request) =>
        Effect.gen(function*() {
          const { page, status } = yield* decodePageRequest(request)
          return encodeOrderPage(yield* orders.list(undefined, page, status), page)
        }),
      listSagas: (request) =>
        Effect.map(
          sagas.list(request.limit <= 0 ? defaultLimit : Math.min(request.limit, maxLimit)),
          (rows) => ({ sagas: rows.map(encodeSaga) })
        ),
      retrySaga: (request) =>
        decodeRetrySaga(request).pipe(
          Effect.flatMap(({ orderId }) => sagas.retry(orderId)),
          Effect.map((saga) => ({ saga: encodeSaga(saga) }))
        ),
      getOutboxBacklog: () =>
        Effect.map(outboxBacklog(), (backlog) => ({
          service: "order",
          pending: backlog.pending,
          oldestAt: iso(backlog.oldestAt),
          topics: backlog.topics.map((topic) => ({
            topic: topic.topic,
            pending: topic.pending,
            oldestAt: iso(topic.oldestAt)
          }))
        })),
      listBreakers: () =>
        Effect.gen(function*() {
          const own = yield* Effect.forEach(["product", "payment"], (dependency) =>
            Effect.map(breakerState(dependency), (state) => ({ service: "order", dependency, state })))
          // The payment service's breaker of the card processor; "unknown" while payment does not answer (or
          // answers nonsense): the console still shows the breakers this service knows.
          const processor = yield* payments.processorBreaker.pipe(
            Effect.map((reply) => ({ service: "payment", dependency: reply.dependency, state: reply.state })),
            Effect.catchCause((cause) =>
              Effect.as(
                Effect.logWarning("the payment service did not report its processor breaker", cause),
                { service: "payment", dependency: "payment-provider", state: "unknown" }
              )
            )
          )
          return { breakers: [...own, processor] }
        }),
      listParkedRefunds: () => Effect.map(payments.listParkedRefunds, (refunds) => ({ refunds: [...refunds] })),
      retryRefund: (request) => payments.retryRefund(request.refundId)
    }
  })
)
