import type {
  CreatedProduct,
  CreateProductRequest,
  DomainError,
  ListProductsQuery,
  ProductDetails,
  ProductId,
  ProductJson,
  ProductList,
  SearchProductsQuery,
  SearchResult,
  UpdateProductRequest
} from "@shop/domain"
import { ProductServiceService as Rpc } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { Context, Effect, Layer } from "effect"
import { GatewayConfig } from "../GatewayConfig.ts"
import * as Codec from "./ProductCodec.ts"

/** The catalog as the gateway sees it: shop.product.v1.ProductService, in domain types. */
export class ProductClient extends Context.Service<ProductClient, {
  readonly get: (id: ProductId) => Effect.Effect<ProductDetails, DomainError>
  readonly list: (query: ListProductsQuery) => Effect.Effect<ProductList, DomainError>
  readonly search: (query: SearchProductsQuery) => Effect.Effect<SearchResult, DomainError>
  readonly create: (input: CreateProductRequest) => Effect.Effect<CreatedProduct, DomainError>
  readonly update: (id: ProductId, patch: UpdateProductRequest) => Effect.Effect<ProductJson, DomainError>
}>()("gateway/ProductClient") {
  static readonly layer = Layer.effect(
    ProductClient,
    Effect.gen(function*() {
      const config = yield* GatewayConfig
      const read = { deadline: config.readDeadline }
      const write = { deadline: config.writeDeadline }
      const peer = yield* GrpcClient.make({ address: config.productAddress, service: "product" })

      return ProductClient.of({
        get: Effect.fn("ProductClient.get")(function*(id) {
          const response = yield* peer.unary(Rpc.getProduct, { id }, read)
          return yield* Codec.decodeProductDetails(response.product)
        }),
        list: Effect.fn("ProductClient.list")(function*(query) {
          const request = yield* Codec.encodeListRequest(query)
          const response = yield* peer.unary(Rpc.listProducts, request, read)
          return yield* Codec.decodeProductList(response, query)
        }),
        search: Effect.fn("ProductClient.search")(function*(query) {
          const response = yield* peer.unary(Rpc.searchProducts, Codec.encodeSearchRequest(query), read)
          return yield* Codec.decodeSearchResult(response, query)
        }),
        create: Effect.fn("ProductClient.create")(function*(input) {
          const response = yield* peer.unary(Rpc.createProduct, Codec.encodeCreateRequest(input), write)
          return yield* Codec.decodeCreatedProduct(response.product)
        }),
        update: Effect.fn("ProductClient.update")(function*(id, patch) {
          const response = yield* peer.unary(Rpc.updateProduct, Codec.encodeUpdateRequest(id, patch), write)
          return yield* Codec.decodeProduct(response.product)
        })
      })
    })
  )
}
