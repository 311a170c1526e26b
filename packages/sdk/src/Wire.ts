import type {
  CreatedProduct,
  CreateOrderRequest,
  CreateProductRequest,
  HealthReport,
  ListOrdersQuery,
  ListProductsQuery,
  OrderAccepted,
  OrderCompleted,
  OrderJson,
  OrderList,
  ProductDetails,
  ProductJson,
  ProductList,
  SearchProductsQuery,
  SearchResult,
  UpdateProductRequest
} from "@shop/domain"

/**
 * What the Promise client sends and receives: the JSON of the REST API as it travels, derived from the contract's
 * schemas (their encoded side), so a type here can never disagree with the gateway. Members are snake_case, prices
 * decimals (`29.99`), instants ISO 8601 strings, ids plain strings.
 */

type Wire<S extends { readonly Encoded: unknown }> = S["Encoded"]

/** Body of `products.create`: `{ name, description?, price, sku, inventory, category }`. */
export type CreateProductInput = Wire<typeof CreateProductRequest>
/** Body of `products.update`: the members to change, at least one. */
export type UpdateProductInput = Wire<typeof UpdateProductRequest>
/** Query of `products.list`. */
export type ListProductsInput = Wire<typeof ListProductsQuery>
/** Query of `products.search`; prices as decimals, numbers or strings (`min_price: 20`). */
export type SearchProductsInput =
  & Omit<Wire<typeof SearchProductsQuery>, "min_price" | "max_price">
  & { readonly min_price?: number | string; readonly max_price?: number | string }
/** Body of `orders.create`. */
export type CreateOrderInput = Wire<typeof CreateOrderRequest>
/** Query of `orders.list`. */
export type ListOrdersInput = Wire<typeof ListOrdersQuery>

/** A product as `products.update` and `products.list` show it. */
export type Product = Wire<typeof ProductJson>
/** The answer to `products.create`. */
export type CreatedProductResult = Wire<typeof CreatedProduct>
/** A product with real-time stock, as `products.get` shows it. */
export type ProductDetailsResult = Wire<typeof ProductDetails>
/** A page of `products.list`. */
export type ProductListResult = Wire<typeof ProductList>
/** A page of `products.search`. */
export type SearchResultPage = Wire<typeof SearchResult>
/** The answer to `orders.create`: `pending` (202) while the saga runs, else its outcome (201). */
export type PlacedOrder = Wire<typeof OrderAccepted> | Wire<typeof OrderCompleted>
/** An order as `orders.get` shows it. */
export type Order = Wire<typeof OrderJson>
/** A page of `orders.list`. */
export type OrderListResult = Wire<typeof OrderList>
/** The answer to `health.check`. */
export type HealthResult = Wire<typeof HealthReport>
