import {
  type CreatedProduct,
  type CreateProductRequest,
  DefaultCurrency,
  type ListProductsQuery,
  ProductDetails,
  ProductJson,
  type ProductList,
  ProductList as ProductListSchema,
  type ProductSort,
  type SearchProductsQuery,
  SearchResult,
  type SearchSort,
  toDecimal,
  type UpdateProductRequest,
  ValidationError
} from "@shop/domain"
import type * as proto from "@shop/proto/product/v1/product"
import { ProductSort as ProtoSort } from "@shop/proto/product/v1/product"
import { Effect, Schema } from "effect"

// A reply that does not decode is a bug of the peer: a defect, answered 500 and logged with its cause.
const decode = <S extends Schema.Codec<any, any>>(schema: S) => {
  const run = Schema.decodeUnknownEffect(schema)
  return (input: unknown): Effect.Effect<S["Type"]> => Effect.orDie(run(input))
}

const productJson = (product: proto.Product) => ({
  id: product.id,
  name: product.name,
  description: product.description,
  price: toDecimal(product.priceCents as never),
  currency: product.currency,
  sku: product.sku,
  category: product.category,
  inventory: product.inventory,
  reserved: product.reserved,
  available: product.available,
  created_at: product.createdAt,
  updated_at: product.updatedAt
})

const present = (product: proto.Product | undefined): proto.Product =>
  product ?? (() => {
    throw new Error("product reply without a product")
  })()

export const decodeProduct = (product: proto.Product | undefined) =>
  Effect.suspend(() => decode(ProductJson)(productJson(present(product))))

export const decodeCreatedProduct = (product: proto.Product | undefined): Effect.Effect<CreatedProduct> =>
  decodeProduct(product)

export const decodeProductDetails = (product: proto.Product | undefined) =>
  Effect.suspend(() => decode(ProductDetails)({ ...productJson(present(product)), cache_hit: false }))

export const decodeProductList = (
  response: proto.ListProductsResponse,
  query: ListProductsQuery
): Effect.Effect<ProductList> =>
  decode(ProductListSchema)({
    products: response.products.map(productJson),
    total: response.total,
    page: response.page > 0 ? response.page : query.page ?? 1,
    limit: response.limit > 0 ? response.limit : query.limit ?? 20,
    ...(response.nextCursor === "" ? {} : { next_cursor: response.nextCursor })
  })

export const decodeSearchResult = (response: proto.SearchProductsResponse, query: SearchProductsQuery) =>
  decode(SearchResult)({
    products: response.products.map((product) => {
      const { created_at: _created, updated_at: _updated, reserved: _reserved, ...hit } = productJson(product)
      return hit
    }),
    total: response.total,
    page: response.page > 0 ? response.page : query.page ?? 1,
    limit: response.limit > 0 ? response.limit : query.limit ?? 20,
    cache_hit: response.cacheHit,
    facets: { categories: response.facets.map((facet) => ({ category: facet.category, count: facet.count })) }
  })

const listSorts: Record<ProductSort, proto.ProductSort | undefined> = {
  created_at_desc: ProtoSort.CREATED_AT_DESC,
  created_at_asc: undefined,
  price_asc: ProtoSort.PRICE_ASC,
  price_desc: ProtoSort.PRICE_DESC,
  name_asc: ProtoSort.NAME_ASC
}

const searchSorts: Record<SearchSort, proto.ProductSort> = {
  relevance: ProtoSort.UNSPECIFIED,
  created_at_desc: ProtoSort.CREATED_AT_DESC,
  price_asc: ProtoSort.PRICE_ASC,
  price_desc: ProtoSort.PRICE_DESC,
  name_asc: ProtoSort.NAME_ASC
}

export const encodeListRequest = (
  query: ListProductsQuery
): Effect.Effect<proto.ListProductsRequest, ValidationError> => {
  const sort = query.sort === undefined ? ProtoSort.UNSPECIFIED : listSorts[query.sort]
  if (sort === undefined) {
    return Effect.fail(new ValidationError({ detail: `sort ${query.sort} is not supported`, field: "sort" }))
  }
  return Effect.succeed({
    page: query.page ?? 1,
    limit: query.limit ?? 0,
    cursor: query.cursor ?? "",
    sort,
    category: query.category ?? ""
  })
}

export const encodeSearchRequest = (query: SearchProductsQuery): proto.SearchProductsRequest => ({
  q: query.q ?? "",
  category: query.category ?? "",
  minPriceCents: query.min_price,
  maxPriceCents: query.max_price,
  page: query.page ?? 1,
  limit: query.limit ?? 0,
  sort: query.sort === undefined ? ProtoSort.UNSPECIFIED : searchSorts[query.sort]
})

export const encodeCreateRequest = (input: CreateProductRequest): proto.CreateProductRequest => ({
  name: input.name,
  description: input.description ?? "",
  priceCents: input.price,
  currency: DefaultCurrency,
  sku: input.sku,
  category: input.category,
  inventory: input.inventory
})

export const encodeUpdateRequest = (id: string, patch: UpdateProductRequest): proto.UpdateProductRequest => ({
  id,
  name: patch.name,
  description: patch.description,
  priceCents: patch.price,
  category: patch.category,
  inventory: patch.inventory
})
