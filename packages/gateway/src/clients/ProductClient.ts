import type {
  CreatedProduct,
  CreateProductRequest,
  ListProductsQuery,
  OperationError,
  ProductDetails,
  ProductId,
  ProductJson,
  ProductList,
  SearchProductsQuery,
  SearchResult,
  Unreachable,
  UpdateProductRequest
} from "@shop/domain"
import { ProductServiceService as Rpc } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "../GatewayConfig.ts"
import * as Codec from "./ProductCodec.ts"
import { withoutBackendDetails } from "./Unavailable.ts"

/** The catalog as the gateway sees it: shop.product.v1.ProductService, in domain types. */
export class ProductClient extends Context.Service<ProductClient, {
  readonly get: (id: ProductId) => Effect.Effect<ProductDetails, OperationError<"getProduct"> | Unreachable>
  readonly list: (query: ListProductsQuery) => Effect.Effect<ProductList, OperationError<"listProducts"> | Unreachable>
  readonly search: (
    query: SearchProductsQuery
  ) => Effect.Effect<SearchResult, OperationError<"searchProducts"> | Unreachable>
  readonly create: (
    input: CreateProductRequest
  ) => Effect.Effect<CreatedProduct, OperationError<"createProduct"> | Unreachable>
  readonly update: (
    id: ProductId,
    patch: UpdateProductRequest
  ) => Effect.Effect<ProductJson, OperationError<"updateProduct"> | Unreachable>
}>()("gateway/ProductClient") {
  static readonly layer = Layer.effect(
    ProductClient,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const read = { deadline: config.readDeadline }
      const write = { deadline: config.writeDeadline }
      const peer = yield* GrpcClient.make({ address: config.productAddress, service: "product" })

      return ProductClient.of({
        get: traced("ProductClient.get")(function*(id) {
          const reply = yield* peer.call(Rpc.getProduct, { id }, "getProduct", read)
          return Codec.toProductDetails(yield* Codec.toProduct(reply.product))
        }, withoutBackendDetails),
        list: traced("ProductClient.list")(function*(query) {
          const request = yield* Codec.encodeListRequest(query)
          const reply = yield* peer.call(Rpc.listProducts, request, "listProducts", read)
          return yield* Codec.toProductList(reply, query)
        }, withoutBackendDetails),
        search: traced("ProductClient.search")(function*(query) {
          const reply = yield* peer.call(Rpc.searchProducts, Codec.encodeSearchRequest(query), "searchProducts", read)
          return yield* Codec.toSearchResult(reply, query)
        }, withoutBackendDetails),
        create: traced("ProductClient.create")(function*(input) {
          const reply = yield* peer.call(Rpc.createProduct, Codec.encodeCreateRequest(input), "createProduct", write)
          return Codec.toProductJson(yield* Codec.toProduct(reply.product))
        }, withoutBackendDetails),
        update: traced("ProductClient.update")(function*(id, patch) {
          const reply = yield* peer.call(
            Rpc.updateProduct,
            Codec.encodeUpdateRequest(id, patch),
            "updateProduct",
            write
          )
          return Codec.toProductJson(yield* Codec.toProduct(reply.product))
        }, withoutBackendDetails)
      })
    })
  )
}
