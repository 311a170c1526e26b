import {
  type CreateProductRequest,
  decodeInput,
  DefaultCurrency,
  type ListProductsQuery,
  MaxPageNumber,
  Product,
  type ProductDetails,
  type ProductJson,
  type ProductList,
  type ProductSort,
  type SearchProductsQuery,
  type SearchResult,
  type SearchSort,
  type UpdateProductRequest,
  ValidationError
} from "@shop/domain"
import type * as proto from "@shop/proto/product/v1/product"
import { ProductSort as ProtoSort } from "@shop/proto/product/v1/product"
import { Effect, Schema } from "effect"
import { nextCursor } from "./NextCursor.ts"

/** shop.product.v1 -> domain -> REST. A reply that does not decode is a bug of the peer: a defect (500, logged). */

const decodeProducts = decodeInput(Schema.Array(Product))
const toProducts = (products: ReadonlyArray<proto.Product>): Effect.Effect<ReadonlyArray<Product>> =>
  Effect.orDie(decodeProducts(products))
const decodeOne = decodeInput(Product)

/** The domain's product from a reply. */
export const toProduct = (product: proto.Product | undefined): Effect.Effect<Product> =>
  Effect.orDie(decodeOne(product))

/** A product as the REST API shows it, with its real-time stock. */
export const toProductJson = (product: Product): ProductJson => ({
  id: product.id,
  name: product.name,
  description: product.description,
  price: product.priceCents,
  currency: product.currency,
  sku: product.sku,
  category: product.category,
  inventory: product.inventory,
  reserved: product.reserved,
  available: product.available,
  created_at: product.createdAt,
  updated_at: product.updatedAt
})

/** A product's details, as the product service answered them (its `cache_hit` is the gateway's to set). */
export const toProductDetails = (product: Product): ProductDetails => ({ ...toProductJson(product), cache_hit: false })

export const toProductList = (
  response: proto.ListProductsResponse,
  query: ListProductsQuery
): Effect.Effect<ProductList> =>
  Effect.map(toProducts(response.products), (products) => ({
    products: products.map(toProductJson),
    total: response.total,
    page: response.page > 0 ? response.page : query.page ?? 1,
    limit: response.limit > 0 ? response.limit : query.limit ?? 20,
    has_more: response.nextCursor !== "",
    ...nextCursor(response.nextCursor)
  }))

/** Whether a search has a page after `page`: more matches than the pages so far hold, within the deepest page. */
const searchHasMore = (total: number, page: number, limit: number) => page * limit < total && page < MaxPageNumber

export const toSearchResult = (
  response: proto.SearchProductsResponse,
  query: SearchProductsQuery
): Effect.Effect<SearchResult> =>
  Effect.map(toProducts(response.products), (products) => searchResult(response, query, products))

const searchResult = (
  response: proto.SearchProductsResponse,
  query: SearchProductsQuery,
  products: ReadonlyArray<Product>
): SearchResult => {
  const page = response.page > 0 ? response.page : query.page ?? 1
  const limit = response.limit > 0 ? response.limit : query.limit ?? 20
  return {
    products: products.map((product) => ({
      id: product.id,
      name: product.name,
      description: product.description,
      price: product.priceCents,
      currency: product.currency,
      sku: product.sku,
      category: product.category,
      inventory: product.inventory,
      available: product.available
    })),
    total: response.total,
    page,
    limit,
    has_more: searchHasMore(response.total, page, limit),
    cache_hit: response.cacheHit,
    relaxed: response.relaxed,
    facets: { categories: response.facets.map((facet) => ({ category: facet.category, count: facet.count })) }
  }
}

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
