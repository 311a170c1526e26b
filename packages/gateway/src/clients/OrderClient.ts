import type {
  CreateOrderRequest,
  DomainError,
  OrderAccepted,
  OrderCompleted,
  OrderId,
  OrderJson,
  OrderList,
  UserId
} from "@shop/domain"
import { DefaultPageLimit } from "@shop/domain"
import { OrderServiceService as Rpc } from "@shop/proto/order/v1/order"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "../GatewayConfig.ts"
import * as Codec from "./OrderCodec.ts"

/** Orders as the gateway sees them: shop.order.v1.OrderService, in domain types, always on behalf of a user. */
export class OrderClient extends Context.Service<OrderClient, {
  readonly create: (
    userId: UserId,
    input: CreateOrderRequest
  ) => Effect.Effect<OrderAccepted | OrderCompleted, DomainError>
  readonly get: (userId: UserId, id: OrderId) => Effect.Effect<OrderJson, DomainError>
  readonly list: (
    userId: UserId,
    page: {
      readonly page?: number | undefined
      readonly limit?: number | undefined
      readonly cursor?: string | undefined
    }
  ) => Effect.Effect<OrderList, DomainError>
}>()("gateway/OrderClient") {
  static readonly layer = Layer.effect(
    OrderClient,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const read = { deadline: config.readDeadline }
      const peer = yield* GrpcClient.make({ address: config.orderAddress, service: "order" })

      return OrderClient.of({
        create: Effect.fn("OrderClient.create")(function*(userId, input) {
          const request = Codec.encodeCreateRequest(userId, input)
          const response = yield* peer.unary(Rpc.createOrder, request, { deadline: config.orderCreateDeadline })
          return yield* Codec.decodeCreated(response.order)
        }),
        get: Effect.fn("OrderClient.get")(function*(userId, id) {
          const response = yield* peer.unary(Rpc.getOrder, { orderId: id, userId }, read)
          return yield* Codec.decodeOrder(response.order)
        }),
        list: Effect.fn("OrderClient.list")(function*(userId, { cursor = "", limit = DefaultPageLimit, page = 1 }) {
          const response = yield* peer.unary(Rpc.listOrders, { userId, page, limit, cursor }, read)
          return yield* Codec.decodeOrderList(response, page, limit)
        })
      })
    })
  )
}
