import { CurrentUser, Forbidden, ShopApi } from "@shop/domain"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { ProductClient } from "../clients/ProductClient.ts"
import { expose } from "../clients/Upstream.ts"

const requireAdmin = Effect.gen(function*() {
  const user = yield* CurrentUser
  if (!user.has("admin")) return yield* new Forbidden({ detail: "the admin role is required" })
})

const unavailable = ["ServiceUnavailable", "DeadlineExceeded"] as const

/**
 * The catalog endpoints, answered by the product service over gRPC; hot reads come from the gateway's short-lived
 * read cache (CatalogReadCache) when they can.
 */
export const ProductsHandlers = HttpApiBuilder.group(ShopApi, "products", (handlers) =>
  Effect.gen(function*() {
    const products = yield* ProductClient
    return handlers
      .handle("create", ({ payload }) =>
        requireAdmin.pipe(
          Effect.andThen(products.create(payload)),
          expose("product", "CreateProduct", ["ValidationError", "Conflict", "Forbidden", ...unavailable])
        ))
      .handle("list", ({ query }) =>
        products.list(query).pipe(expose("product", "ListProducts", ["ValidationError", ...unavailable])))
      .handle("search", ({ query }) =>
        products.search(query).pipe(expose("product", "SearchProducts", ["ValidationError", ...unavailable])))
      .handle("get", ({ params }) =>
        products.get(params.id).pipe(expose("product", "GetProduct", ["NotFound", ...unavailable])))
      .handle("update", ({ params, payload }) =>
        requireAdmin.pipe(
          Effect.andThen(products.update(params.id, payload)),
          expose("product", "UpdateProduct", ["NotFound", "ValidationError", "Conflict", "Forbidden", ...unavailable])
        ))
  }))
