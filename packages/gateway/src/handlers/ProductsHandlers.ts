import { CurrentUser, Forbidden, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ProductClient } from "../clients/ProductClient.ts"
import { linkNextPage, setLocation } from "./ResponseHeaders.ts"

const requireAdmin = Effect.gen(function*() {
  const user = yield* CurrentUser
  if (!user.has("admin")) return yield* new Forbidden({ detail: "the admin role is required" })
})

/**
 * The catalog endpoints, answered by the product service over gRPC; hot reads come from the gateway's short-lived
 * read cache (CatalogReadCache) when they can. Each handler fails only with the errors its endpoint declares.
 */
export const ProductsHandlers = HttpApiBuilder.group(ShopApi, "products", (handlers) =>
  Effect.gen(function*() {
    const products = yield* ProductClient
    return handlers
      .handle("create", ({ payload }) =>
        Effect.gen(function*() {
          yield* requireAdmin
          const created = yield* products.create(payload)
          yield* setLocation(`/api/v1/products/${created.id}`)
          return created
        }))
      .handle("list", ({ query }) =>
        Effect.tap(
          products.list(query),
          (list) => linkNextPage(list.next_cursor === undefined ? undefined : { cursor: list.next_cursor })
        ))
      .handle("search", ({ query }) =>
        Effect.tap(
          products.search(query),
          (result) => linkNextPage(result.has_more ? { page: result.page + 1 } : undefined)
        ))
      .handle("get", ({ params }) => products.get(params.id))
      .handle("update", ({ params, payload }) => Effect.andThen(requireAdmin, products.update(params.id, payload)))
  }))
