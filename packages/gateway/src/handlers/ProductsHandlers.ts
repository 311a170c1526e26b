import { CurrentUser, Forbidden, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ProductClient } from "../clients/ProductClient.ts"

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
      .handle("create", ({ payload }) => Effect.andThen(requireAdmin, products.create(payload)))
      .handle("list", ({ query }) => products.list(query))
      .handle("search", ({ query }) => products.search(query))
      .handle("get", ({ params }) => products.get(params.id))
      .handle("update", ({ params, payload }) => Effect.andThen(requireAdmin, products.update(params.id, payload)))
  }))
