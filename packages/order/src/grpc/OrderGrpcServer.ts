import { OrderServiceService } from "@shop/proto/order/v1/order"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Effect } from "effect"
import { Orders } from "../Orders.ts"
import { decodeCreateRequest, decodeGetRequest, decodeListRequest, encodeOrder, encodeOrderPage } from "./OrderCodec.ts"

/** shop.order.v1.OrderService, served through Orders: requests decoded at the edge, domain types inside. */
export const OrderGrpcServer = GrpcService.layer(
  OrderServiceService,
  Effect.gen(function*() {
    const orders = yield* Orders
    return {
      createOrder: (request) =>
        decodeCreateRequest(request).pipe(
          Effect.flatMap(orders.place),
          Effect.map(({ order, replayed }) => ({ order: encodeOrder(order), replayed }))
        ),
      getOrder: (request) =>
        decodeGetRequest(request).pipe(
          Effect.flatMap(({ orderId, userId }) => orders.get(orderId, userId)),
          Effect.map((order) => ({ order: encodeOrder(order) }))
        ),
      listOrders: (request) =>
        Effect.gen(function*() {
          const { page, status, userId } = yield* decodeListRequest(request)
          return encodeOrderPage(yield* orders.list(userId, page, status), page)
        })
    }
  })
)
