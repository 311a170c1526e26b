import { CurrentUser, Forbidden, NotFound, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { OrderClient } from "../clients/OrderClient.ts"
import { idempotencyKeyOf } from "./IdempotencyKeyHeader.ts"
import { linkNextPage, setLocation, setResponseHeaders } from "./ResponseHeaders.ts"

/**
 * The caller's orders: every call is made on behalf of the token's user, never of a user named in the request. Each
 * handler fails only with the errors its endpoint declares (the contract's `OperationErrors`), checked by the types.
 */
export const OrdersHandlers = HttpApiBuilder.group(ShopApi, "orders", (handlers) =>
  Effect.gen(function*() {
    const orders = yield* OrderClient
    return handlers
      .handle("create", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          if (payload.user_id !== undefined && payload.user_id !== user.userId) {
            return yield* new Forbidden({ detail: "user_id must be the authenticated user" })
          }
          const key = yield* idempotencyKeyOf(payload.idempotency_key)
          const { order, replayed } = yield* orders.create(user, payload, key)
          yield* setLocation(`/api/v1/orders/${order.order_id}`)
          // A repeat of a request already answered says so: the order is the first request's, nothing new was made.
          if (replayed) yield* setResponseHeaders({ "idempotent-replayed": "true" })
          return order
        }))
      .handle("get", ({ params }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const order = yield* orders.get(user.userId, params.id)
          // Defence in depth: another user's order is a 404 even if the backend forgot to check.
          if (order.user_id !== user.userId) return yield* new NotFound({ entity: "Order", id: params.id })
          return order
        }))
      .handle("list", ({ query }) =>
        Effect.gen(function*() {
          const user = yield* CurrentUser
          const list = yield* orders.list(user.userId, query)
          // The order service filters by user and status in its query; defence in depth drops anything else.
          const own = list.orders.filter((order) => order.user_id === user.userId)
          yield* linkNextPage(list.next_cursor === undefined ? undefined : { cursor: list.next_cursor })
          return { ...list, orders: own }
        }))
  }))
