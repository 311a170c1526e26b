import { OrderServiceService } from "@shop/proto/order/v1/order"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Effect } from "effect"
import { Orders } from "../Orders.ts"
import { toCreateInput, toPageRequest, toProto } from "./OrderCodec.ts"

/** shop.order.v1.OrderService, served through Orders. */
export const OrderGrpcServer = GrpcService.layer(
  OrderServiceService,
  Effect.gen(function*() {
    const orders = yield* Orders
    return {
      createOrder: (request) =>
        Effect.map(orders.create(toCreateInput(request)), (created) => ({
          order: toProto(created.order),
          replayed: created.replayed
        })),
      getOrder: (request) =>
        Effect.map(orders.get(request.orderId, request.userId), (order) => ({ order: toProto(order) })),
      listOrders: (request) =>
        Effect.gen(function*() {
          const page = yield* toPageRequest(request)
          const result = yield* orders.list(request.userId, page)
          return {
            orders: result.orders.map(toProto),
            total: result.total,
            page: page._tag === "Page" ? page.page : 0,
            limit: page.limit,
            nextCursor: result.nextCursor ?? ""
          }
        })
    }
  })
)
