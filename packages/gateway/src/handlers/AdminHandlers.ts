import { CurrentUser, Forbidden, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AdminClient } from "../clients/AdminClient.ts"
import { linkNextPage } from "./ResponseHeaders.ts"

/** Every admin endpoint starts here: a valid token without the admin role is a 403, before any backend is asked. */
const requireAdmin = Effect.gen(function*() {
  const user = yield* CurrentUser
  if (!user.has("admin")) return yield* new Forbidden({ detail: "the admin role is required" })
})

/** The operator console's endpoints, answered by the order and notification services' admin RPCs. */
export const AdminHandlers = HttpApiBuilder.group(ShopApi, "admin", (handlers) =>
  Effect.gen(function*() {
    const admin = yield* AdminClient
    return handlers
      .handle("orders", ({ query }) =>
        Effect.gen(function*() {
          yield* requireAdmin
          const list = yield* admin.orders(query)
          yield* linkNextPage(list.next_cursor === undefined ? undefined : { cursor: list.next_cursor })
          return list
        }))
      .handle("sagas", () => Effect.andThen(requireAdmin, Effect.map(admin.sagas, (sagas) => ({ sagas }))))
      .handle("retrySaga", ({ params }) => Effect.andThen(requireAdmin, admin.retrySaga(params.order_id)))
      .handle("refunds", () => Effect.andThen(requireAdmin, Effect.map(admin.refunds, (refunds) => ({ refunds }))))
      .handle("retryRefund", ({ params }) => Effect.andThen(requireAdmin, admin.retryRefund(params.refund_id)))
      .handle("deadLetters", () =>
        Effect.andThen(requireAdmin, Effect.map(admin.deadLetters, (letters) => ({ dead_letters: letters }))))
      .handle("redriveDeadLetter", ({ params }) =>
        Effect.andThen(requireAdmin, admin.redrive(params.id)))
      .handle("breakers", () => Effect.andThen(requireAdmin, Effect.map(admin.breakers, (breakers) => ({ breakers }))))
      .handle("consumers", () =>
        Effect.andThen(requireAdmin, Effect.map(admin.consumers, (consumers) => ({ consumers }))))
      .handle("outbox", () =>
        Effect.andThen(requireAdmin, admin.outbox))
  }))
