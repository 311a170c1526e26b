import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { ProductId } from "../Ids.ts"
import { Currency, PriceFromDecimal, PriceFromDecimalString } from "../Money.ts"
import { problemsOf } from "../Operations.ts"
import {
  DeadlineExceededProblem,
  ForbiddenProblem,
  InternalErrorProblem,
  ServiceUnavailableProblem
} from "../Problem.ts"
import { Category, ProductDescription, ProductName, Sku, StockQuantity } from "../Product.ts"
import { isSingleLineText } from "../Text.ts"
import { Timestamp } from "../Timestamp.ts"
import { Authorization } from "./Authorization.ts"
import { ProductListCursor } from "./Cursors.ts"
import { HasMore, PageInfo, PageLimit, PageNumber, PageQuery } from "./Pagination.ts"

/** A positive REST price (`29.99`), decoded into cents. */
export const ProductPrice = PriceFromDecimal.check(Schema.isGreaterThan(0, { expected: "a price greater than 0" }))

/** Body of `POST /api/v1/products`. Unknown members are refused. */
export const CreateProductRequest = Schema.Struct({
  name: ProductName,
  description: Schema.optionalKey(ProductDescription),
  price: ProductPrice,
  sku: Sku,
  inventory: StockQuantity,
  category: Category
}).annotate({ identifier: "CreateProductRequest" })
export type CreateProductRequest = typeof CreateProductRequest.Type

/** Body of `PATCH /api/v1/products/{id}`: the members to change, at least one. Unknown members are refused. */
export const UpdateProductRequest = Schema.Struct({
  name: Schema.optionalKey(ProductName),
  description: Schema.optionalKey(ProductDescription),
  price: Schema.optionalKey(ProductPrice),
  category: Schema.optionalKey(Category),
  inventory: Schema.optionalKey(StockQuantity)
}).check(
  Schema.makeFilter((patch) => Object.keys(patch).length > 0 || "at least one member must be given")
).annotate({ identifier: "UpdateProductRequest" })
export type UpdateProductRequest = typeof UpdateProductRequest.Type

const productFields = {
  id: ProductId,
  name: ProductName,
  description: ProductDescription,
  price: PriceFromDecimal,
  currency: Currency,
  sku: Sku,
  category: Category,
  inventory: StockQuantity,
  reserved: StockQuantity,
  available: StockQuantity,
  created_at: Timestamp,
  updated_at: Timestamp
}

/**
 * A product as the API shows it. `inventory` is the stock on hand, `reserved` the units held by unconfirmed orders
 * and `available` what a new order may take.
 */
export const ProductJson = Schema.Struct(productFields).annotate({ identifier: "Product" })
export type ProductJson = typeof ProductJson.Type

/**
 * Response of `POST /api/v1/products` (201). The server sends every member of {@link ProductJson}; only those of
 * the specification's example are required, so a client accepts that example as is.
 */
export const CreatedProduct = Schema.Struct({
  id: ProductId,
  name: ProductName,
  price: PriceFromDecimal,
  sku: Sku,
  inventory: StockQuantity,
  created_at: Timestamp,
  description: Schema.optionalKey(ProductDescription),
  category: Schema.optionalKey(Category),
  currency: Schema.optionalKey(Currency),
  reserved: Schema.optionalKey(StockQuantity),
  available: Schema.optionalKey(StockQuantity),
  updated_at: Schema.optionalKey(Timestamp)
}).annotate({ identifier: "CreatedProduct" })
export type CreatedProduct = typeof CreatedProduct.Type

/** Response of `GET /api/v1/products/{id}`: the product with real-time stock, and whether the cache answered. */
export const ProductDetails = Schema.Struct({ ...productFields, cache_hit: Schema.Boolean }).annotate({
  identifier: "ProductDetails"
})
export type ProductDetails = typeof ProductDetails.Type

/** Orders of `GET /api/v1/products`. */
export const ProductSort = Schema.Literals(["created_at_desc", "created_at_asc", "price_asc", "price_desc", "name_asc"])
  .annotate({ identifier: "ProductSort", description: "Defaults to created_at_desc" })
export type ProductSort = typeof ProductSort.Type

/** Query of `GET /api/v1/products`. */
export const ListProductsQuery = Schema.Struct({
  ...PageQuery,
  cursor: Schema.optionalKey(ProductListCursor),
  sort: Schema.optionalKey(ProductSort),
  category: Schema.optionalKey(Category)
}).annotate({ identifier: "ListProductsQuery" })
export type ListProductsQuery = typeof ListProductsQuery.Type

/** Response of `GET /api/v1/products`. */
export const ProductList = Schema.Struct({ products: Schema.Array(ProductJson), ...PageInfo }).annotate({
  identifier: "ProductList"
})
export type ProductList = typeof ProductList.Type

/** Orders of `GET /api/v1/products/search`. */
export const SearchSort = Schema.Literals(["relevance", "price_asc", "price_desc", "name_asc", "created_at_desc"])
  .annotate({ identifier: "SearchSort", description: "Defaults to relevance" })
export type SearchSort = typeof SearchSort.Type

/** Query of `GET /api/v1/products/search`; prices are decimals (`min_price=20`). */
export const SearchProductsQuery = Schema.Struct({
  q: Schema.optionalKey(Schema.String.check(Schema.isBetweenLength(1, 200), isSingleLineText())),
  category: Schema.optionalKey(Category),
  min_price: Schema.optionalKey(PriceFromDecimalString),
  max_price: Schema.optionalKey(PriceFromDecimalString),
  page: Schema.optionalKey(PageNumber),
  limit: Schema.optionalKey(PageLimit),
  sort: Schema.optionalKey(SearchSort)
}).check(
  Schema.makeFilter((query) =>
    query.min_price === undefined || query.max_price === undefined || query.min_price <= query.max_price
      ? undefined
      : { path: ["min_price"], issue: "min_price must not exceed max_price" }
  )
).annotate({ identifier: "SearchProductsQuery" })
export type SearchProductsQuery = typeof SearchProductsQuery.Type

/** One search result; members beyond those of the specification's example are optional. */
export const SearchHit = Schema.Struct({
  id: ProductId,
  name: ProductName,
  price: PriceFromDecimal,
  inventory: StockQuantity,
  category: Schema.optionalKey(Category),
  sku: Schema.optionalKey(Sku),
  currency: Schema.optionalKey(Currency),
  available: Schema.optionalKey(StockQuantity),
  description: Schema.optionalKey(ProductDescription)
}).annotate({ identifier: "SearchHit" })
export type SearchHit = typeof SearchHit.Type

/** Match counts per category over the whole result set, not only the current page. */
export const SearchFacets = Schema.Struct({
  categories: Schema.Array(Schema.Struct({ category: Category, count: Schema.Int }))
}).annotate({ identifier: "SearchFacets" })
export type SearchFacets = typeof SearchFacets.Type

/** Response of `GET /api/v1/products/search`. */
export const SearchResult = Schema.Struct({
  products: Schema.Array(SearchHit),
  total: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  page: PageNumber,
  limit: Schema.optionalKey(PageLimit),
  // The gateway always sends it; optional so that a client accepts the specification's example as is.
  has_more: Schema.optionalKey(HasMore),
  cache_hit: Schema.Boolean,
  relaxed: Schema.optionalKey(Schema.Boolean.annotate({
    description: "true when no product matched every word of q: the products match as many of the words as any does"
  })),
  facets: Schema.optionalKey(SearchFacets)
}).annotate({ identifier: "SearchResult" })
export type SearchResult = typeof SearchResult.Type

const unavailable = [ServiceUnavailableProblem, DeadlineExceededProblem, InternalErrorProblem] as const
const idParams = { id: ProductId }

/** The catalog: anonymous reads, and writes for admins (bearer token with the `admin` role). */
export class ProductsApi extends HttpApiGroup.make("products")
  .add(
    HttpApiEndpoint.post("create", "/api/v1/products", {
      payload: CreateProductRequest,
      success: CreatedProduct.pipe(HttpApiSchema.status(201)),
      error: [...problemsOf("createProduct"), ForbiddenProblem, ...unavailable]
    }).middleware(Authorization).annotateMerge(OpenApi.annotations({
      summary: "Create a product",
      description: "Admin only. A duplicate SKU is a 409 Conflict. Unknown body members are refused (400)."
    })),
    HttpApiEndpoint.get("list", "/api/v1/products", {
      query: ListProductsQuery,
      success: ProductList,
      error: [...problemsOf("listProducts"), ...unavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Browse the catalog",
      description: "Paginated by page number, or by the opaque next_cursor of the previous page."
    })),
    HttpApiEndpoint.get("search", "/api/v1/products/search", {
      query: SearchProductsQuery,
      success: SearchResult,
      error: [...problemsOf("searchProducts"), ...unavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Search products",
      description: "By text (q), category and price range. Every word of q must match (typos tolerated); when no " +
        "product matches them all, the answer keeps the products matching the most words and says relaxed: true. " +
        "Cached, so cache_hit tells whether the cache answered."
    })),
    HttpApiEndpoint.get("get", "/api/v1/products/:id", {
      params: idParams,
      success: ProductDetails,
      error: [...problemsOf("getProduct"), ...unavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Get a product",
      description: "With real-time stock: inventory on hand, reserved and available units."
    })),
    HttpApiEndpoint.patch("update", "/api/v1/products/:id", {
      params: idParams,
      payload: UpdateProductRequest,
      success: ProductJson,
      error: [...problemsOf("updateProduct"), ForbiddenProblem, ...unavailable]
    }).middleware(Authorization).annotateMerge(OpenApi.annotations({
      summary: "Update a product",
      description: "Admin only. Changes the given members; inventory below the reserved units is a 409 Conflict."
    }))
  )
  .annotateMerge(OpenApi.annotations({ title: "Products", description: "The product catalog and its stock" }))
{}
