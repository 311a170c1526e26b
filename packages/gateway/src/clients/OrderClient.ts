import type {
  CreateOrderRequest,
  Email,
  IdempotencyKey,
  OperationError,
  OrderAccepted,
  OrderCompleted,
  OrderId,
  OrderJson,
  OrderList,
  OrderStatus,
  Unreachable,
  UserId
} from "@shop/domain"
import { DefaultPageLimit } from "@shop/domain"
import { OrderServiceService as Rpc } from "@shop/proto/order/v1/order"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "../GatewayConfig.ts"
import * as Codec from "./OrderCodec.ts"
import { withoutBackendDetails } from "./Unavailable.ts"

/** Orders as the gateway sees them: shop.order.v1.OrderService, in domain types, always on behalf of a user. */
export class OrderClient extends Context.Service<OrderClient, {
  readonly create: (
    caller: { readonly userId: UserId; readonly email?: Email | undefined },
    input: CreateOrderRequest,
    idempotencyKey: IdempotencyKey
  ) => Effect.Effect<
    { readonly order: OrderAccepted | OrderCompleted; readonly replayed: boolean },
    OperationError<"placeOrder"> | Unreachable
  >
  readonly get: (userId: UserId, id: OrderId) => Effect.Effect<OrderJson, OperationError<"getOrder"> | Unreachable>
  readonly list: (
    userId: UserId,
    page: {
      readonly page?: number | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
      readonly status?: OrderStatus | undefined
    }
  ) => Effect.Effect<OrderList, OperationError<"listOrders"> | Unreachable>
}>()("gateway/OrderClient") {
  static readonly layer = Layer.effect(
    OrderClient,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const read = { deadline: config.readDeadline }
      const peer = yield* GrpcClient.make({ address: config.orderAddress, service: "order" })

      return OrderClient.of({
        create: traced("OrderClient.create")(function*(caller, input, idempotencyKey) {
          const request = Codec.toCreateRequest(caller, input, idempotencyKey)
          const reply = yield* peer.call(Rpc.createOrder, request, "placeOrder", {
            deadline: config.orderCreateDeadline
          })
          // `replayed`: the order service answered with the key's first order (see Idempotent-Replayed)
          return { order: Codec.toCreated(yield* Codec.toOrder(reply.order)), replayed: reply.replayed }
        }, withoutBackendDetails),
        get: traced("OrderClient.get")(function*(userId, id) {
          const reply = yield* peer.call(Rpc.getOrder, { orderId: id, userId }, "getOrder", read)
          return Codec.toOrderJson(yield* Codec.toOrder(reply.order))
        }, withoutBackendDetails),
        list: traced("OrderClient.list")(
          function*(userId, { cursor = "", limit = DefaultPageLimit, page = 1, status }) {
            const request = { userId, page, limit, cursor, status: Codec.toProtoStatus(status) }
            const reply = yield* peer.call(Rpc.listOrders, request, "listOrders", read)
            const orders = yield* Effect.forEach(reply.orders, Codec.toOrder)
            return Codec.toOrderList(orders, reply, { page, limit })
          },
          withoutBackendDetails
        )
      })
    })
  )
}
