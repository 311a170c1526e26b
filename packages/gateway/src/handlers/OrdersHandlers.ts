import { CurrentUser, Forbidden, NotFound, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { OrderClient } from "../clients/OrderClient.ts"

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
          return yield* orders.create(user, payload)
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
          // The order service pages by user only; a status filter narrows the page it returned.
          const own = list.orders.filter((order) =>
            order.user_id === user.userId && (query.status === undefined || order.status === query.status)
          )
          return { ...list, orders: own }
        }))
  }))
