import type {
  AdminSaga,
  BreakerJson,
  ConsumerLagJson,
  DeadLetterJson,
  OperationError,
  OrderId,
  OrderList,
  OrderStatus,
  OutboxBacklogJson,
  ParkedRefundJson,
  RefundRetried,
  Unreachable
} from "@shop/domain"
import { DefaultPageLimit } from "@shop/domain"
import { NotificationAdminServiceService as NotificationRpc } from "@shop/proto/notification/v1/notification_admin"
import { OrderAdminServiceService as OrderRpc } from "@shop/proto/order/v1/order_admin"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "../GatewayConfig.ts"
import * as Codec from "./AdminCodec.ts"
import * as OrderCodec from "./OrderCodec.ts"
import { withoutBackendDetails } from "./Unavailable.ts"

/**
 * The operator console's backends: shop.order.v1.OrderAdminService (every customer's orders, sagas, outbox, breakers, and parked refunds
 * relayed from payment, which the gateway may not reach) and shop.notification.v1.NotificationAdminService (dead
 * letters, consumer lag). The handlers admit only admins before calling anything here.
 */
export class AdminClient extends Context.Service<AdminClient, {
  /** Every customer's orders, newest first, optionally of one status. */
  readonly orders: (
    page: {
      readonly page?: number | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
      readonly status?: OrderStatus | undefined
    }
  ) => Effect.Effect<OrderList, OperationError<"listAllOrders"> | Unreachable>
  readonly sagas: Effect.Effect<ReadonlyArray<AdminSaga>, OperationError<"listSagas"> | Unreachable>
  readonly retrySaga: (orderId: OrderId) => Effect.Effect<AdminSaga, OperationError<"retrySaga"> | Unreachable>
  readonly refunds: Effect.Effect<ReadonlyArray<ParkedRefundJson>, OperationError<"listParkedRefunds"> | Unreachable>
  readonly retryRefund: (
    refundId: string
  ) => Effect.Effect<RefundRetried, OperationError<"retryRefund"> | Unreachable>
  readonly deadLetters: Effect.Effect<ReadonlyArray<DeadLetterJson>, OperationError<"listDeadLetters"> | Unreachable>
  readonly redrive: (id: string) => Effect.Effect<DeadLetterJson, OperationError<"redriveDeadLetter"> | Unreachable>
  readonly breakers: Effect.Effect<ReadonlyArray<BreakerJson>, OperationError<"listBreakers"> | Unreachable>
  readonly consumers: Effect.Effect<ReadonlyArray<ConsumerLagJson>, OperationError<"consumerLag"> | Unreachable>
  readonly outbox: Effect.Effect<OutboxBacklogJson, OperationError<"outboxBacklog"> | Unreachable>
}>()("gateway/AdminClient") {
  static readonly layer = Layer.effect(
    AdminClient,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      // Retrying a parked refund waits for the card processor's answer: the write deadline, not the read one.
      const read = { deadline: config.readDeadline }
      const write = { deadline: config.writeDeadline }
      const order = yield* GrpcClient.make({ address: config.orderAddress, service: "order" })
      const notification = yield* GrpcClient.make({
        address: config.notificationAddress,
        service: "notification"
      })
      return AdminClient.of({
        orders: traced("AdminClient.orders")(
          function*({ cursor = "", limit = DefaultPageLimit, page = 1, status }) {
            const request = { page, limit, cursor, status: OrderCodec.toProtoStatus(status) }
            const reply = yield* order.call(OrderRpc.listAllOrders, request, "listAllOrders", read)
            const orders = yield* Effect.forEach(reply.orders, OrderCodec.toOrder)
            return OrderCodec.toOrderList(orders, reply, { page, limit })
          },
          withoutBackendDetails
        ),
        sagas: Effect.gen(function*() {
          const reply = yield* order.call(OrderRpc.listSagas, { limit: 0 }, "listSagas", read)
          return yield* Effect.forEach(reply.sagas, Codec.toSaga)
        }).pipe(Effect.withSpan("AdminClient.sagas"), withoutBackendDetails),
        retrySaga: traced("AdminClient.retrySaga")(function*(orderId) {
          const reply = yield* order.call(OrderRpc.retrySaga, { orderId }, "retrySaga", write)
          return yield* Codec.toSaga(reply.saga)
        }, withoutBackendDetails),
        refunds: Effect.gen(function*() {
          const reply = yield* order.call(OrderRpc.listParkedRefunds, {}, "listParkedRefunds", read)
          return yield* Effect.forEach(reply.refunds, Codec.toParkedRefund)
        }).pipe(Effect.withSpan("AdminClient.refunds"), withoutBackendDetails),
        retryRefund: traced("AdminClient.retryRefund")(function*(refundId) {
          return yield* Codec.toRefundRetried(
            yield* order.call(OrderRpc.retryRefund, { refundId }, "retryRefund", {
              deadline: config.orderCreateDeadline
            })
          )
        }, withoutBackendDetails),
        deadLetters: Effect.gen(function*() {
          const reply = yield* notification.call(NotificationRpc.listDeadLetters, {}, "listDeadLetters", read)
          return yield* Effect.forEach(reply.deadLetters, Codec.toDeadLetter)
        }).pipe(Effect.withSpan("AdminClient.deadLetters"), withoutBackendDetails),
        redrive: traced("AdminClient.redrive")(function*(id) {
          const reply = yield* notification.call(NotificationRpc.redriveDeadLetter, { id }, "redriveDeadLetter", write)
          return yield* Codec.toDeadLetter(reply.deadLetter)
        }, withoutBackendDetails),
        breakers: Effect.gen(function*() {
          const reply = yield* order.call(OrderRpc.listBreakers, {}, "listBreakers", read)
          return yield* Effect.forEach(reply.breakers, Codec.toBreaker)
        }).pipe(Effect.withSpan("AdminClient.breakers"), withoutBackendDetails),
        consumers: Effect.gen(function*() {
          const reply = yield* notification.call(NotificationRpc.listConsumerLag, {}, "consumerLag", read)
          return yield* Effect.forEach(reply.consumers, Codec.toConsumerLag)
        }).pipe(Effect.withSpan("AdminClient.consumers"), withoutBackendDetails),
        outbox: Effect.gen(function*() {
          return yield* Codec.toOutboxBacklog(
            yield* order.call(OrderRpc.getOutboxBacklog, {}, "outboxBacklog", read)
          )
        }).pipe(Effect.withSpan("AdminClient.outbox"), withoutBackendDetails)
      })
    })
  )
}
