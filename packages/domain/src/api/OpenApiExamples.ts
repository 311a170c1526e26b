import type { HealthReport, Unhealthy } from "./HealthApi.ts"
import type {
  CreateOrderRequest,
  OrderAccepted,
  OrderCompleted,
  OrderJson,
  OrderList,
  ShippingAddressJson
} from "./OrdersApi.ts"
import type {
  CreatedProduct,
  CreateProductRequest,
  ProductDetails,
  ProductJson,
  ProductList,
  SearchResult,
  UpdateProductRequest
} from "./ProductsApi.ts"

/**
 * The examples of the OpenAPI document, one file for all of them. Examples 2 to 5 of the specification are copied
 * verbatim (example 5 lists its items as `[...]`; the two lines of example 4 stand in for them); the other operations
 * reuse their products and order. Each value is typed with the contract's wire shape (`Schema.Encoded`), so an
 * example that lost a member the contract requires does not compile, and `OpenApiDocument.test.ts` validates each one
 * against the document's own schemas.
 */

type Wire<S extends { readonly Encoded: unknown }> = S["Encoded"]

/** Usage example 2: create a product (request). */
export const createProductRequest: Wire<typeof CreateProductRequest> = {
  name: "Wireless Mouse",
  description: "Ergonomic wireless mouse with 3200 DPI",
  price: 29.99,
  sku: "MOUSE-001",
  inventory: 100,
  category: "Electronics"
}

/** Usage example 2: create a product (response). */
export const createProductResponse: Wire<typeof CreatedProduct> = {
  id: "prod_1a2b3c4d",
  name: "Wireless Mouse",
  price: 29.99,
  sku: "MOUSE-001",
  inventory: 100,
  created_at: "2025-10-21T10:30:00Z"
}

/** Usage example 3: search products (the query). */
export const searchQuery = { q: "mouse", category: "Electronics", min_price: "20", max_price: "50", limit: 10 }

/** Usage example 3: search products (response). */
export const searchResponse: Wire<typeof SearchResult> = {
  products: [{ id: "prod_1a2b3c4d", name: "Wireless Mouse", price: 29.99, inventory: 100 }],
  total: 1,
  page: 1,
  cache_hit: true
}

const shippingAddress: Wire<typeof ShippingAddressJson> = {
  street: "123 Main St",
  city: "San Francisco",
  state: "CA",
  zip: "94102"
}

/** Usage example 4: create an order (request). */
export const createOrderRequest: Wire<typeof CreateOrderRequest> = {
  user_id: "user_123",
  items: [
    { product_id: "prod_1a2b3c4d", quantity: 2 },
    { product_id: "prod_5e6f7g8h", quantity: 1 }
  ],
  shipping_address: shippingAddress,
  payment_method: "credit_card",
  idempotency_key: "order_2025_abc123"
}

/** Usage example 4: create an order (response: accepted, the saga still runs). */
export const createOrderAccepted: Wire<typeof OrderAccepted> = {
  order_id: "ord_xyz789",
  status: "pending",
  total_amount: 89.97,
  created_at: "2025-10-21T10:35:00Z",
  saga_id: "saga_123"
}

/** Example 4's order when its saga ended within the request (201). */
export const createOrderCompleted: Wire<typeof OrderCompleted> = {
  order_id: "ord_xyz789",
  status: "confirmed",
  total_amount: 89.97,
  created_at: "2025-10-21T10:35:00Z",
  saga_id: "saga_123"
}

/** Usage example 5: check order status (response). */
export const orderStatusResponse: Wire<typeof OrderJson> = {
  order_id: "ord_xyz789",
  status: "confirmed",
  user_id: "user_123",
  items: [
    { product_id: "prod_1a2b3c4d", name: "Wireless Mouse", quantity: 2, unit_price: 29.99, line_total: 59.98 },
    { product_id: "prod_5e6f7g8h", name: "Mouse Pad", quantity: 1, unit_price: 29.99, line_total: 29.99 }
  ],
  total_amount: 89.97,
  payment_status: "completed",
  payment_id: "pay_456",
  tracking_number: "TRK789012",
  created_at: "2025-10-21T10:35:00Z",
  confirmed_at: "2025-10-21T10:35:02Z"
}

/** Example 2's product as the catalog shows it. */
export const product: Wire<typeof ProductJson> = {
  id: "prod_1a2b3c4d",
  name: "Wireless Mouse",
  description: "Ergonomic wireless mouse with 3200 DPI",
  price: 29.99,
  currency: "USD",
  sku: "MOUSE-001",
  category: "Electronics",
  inventory: 100,
  reserved: 2,
  available: 98,
  created_at: "2025-10-21T10:30:00Z",
  updated_at: "2025-10-21T10:35:00Z"
}

/** Example 2's product with real-time stock. */
export const productDetails: Wire<typeof ProductDetails> = { ...product, cache_hit: false }

/** A page of the catalog holding example 2's product. */
export const productList: Wire<typeof ProductList> = {
  products: [product],
  total: 1,
  page: 1,
  limit: 20,
  has_more: false
}

/** A price change of example 2's product. */
export const updateProductRequest: Wire<typeof UpdateProductRequest> = { price: 24.99, inventory: 150 }

/** Example 2's product after {@link updateProductRequest}. */
export const updatedProduct: Wire<typeof ProductJson> = {
  ...product,
  price: 24.99,
  inventory: 150,
  available: 148,
  updated_at: "2025-10-22T09:00:00Z"
}

/** The caller's orders: example 5's order. */
export const orderList: Wire<typeof OrderList> = {
  orders: [orderStatusResponse],
  total: 1,
  page: 1,
  limit: 20,
  has_more: false
}

/** `GET /healthz` when every backend is up. */
export const healthReport: Wire<typeof HealthReport> = { status: "ok", checked_at: "2025-10-21T10:35:00Z" }

/** `GET /healthz` when a required backend is down. */
export const unhealthy: Omit<Wire<typeof Unhealthy>, "_tag"> & Record<string, unknown> = {
  type: "/problems/unhealthy",
  title: "Unhealthy",
  status: 503,
  detail: "order is down",
  checked_at: "2025-10-21T10:35:00Z"
}

/** One problem per type, as the gateway sends them, by the last segment of the type URI. */
export const problems: Record<string, Record<string, unknown>> = {
  "validation-error": {
    type: "/problems/validation-error",
    title: "Validation Failed",
    status: 400,
    detail: "the order total 1,200,000.00 is above what one payment can charge (999,999.99)",
    field: "items"
  },
  "about:blank": {
    type: "about:blank",
    title: "Bad Request",
    status: 400,
    errors: [{ path: ["payload", "price"], message: "the amount must have at most 2 decimal places" }]
  },
  unauthorized: { type: "/problems/unauthorized", title: "Unauthorized", status: 401, detail: "token expired" },
  forbidden: { type: "/problems/forbidden", title: "Forbidden", status: 403, detail: "admin role required" },
  "not-found": {
    type: "/problems/not-found",
    title: "Not Found",
    status: 404,
    detail: "order ord_xyz789 was not found",
    entity: "order",
    id: "ord_xyz789"
  },
  conflict: {
    type: "/problems/conflict",
    title: "Conflict",
    status: 409,
    detail: "a product with SKU MOUSE-001 already exists"
  },
  "request-in-progress": {
    type: "/problems/request-in-progress",
    title: "Request In Progress",
    status: 409,
    detail: "a request with idempotency key order_2025_abc123 is still in progress",
    key: "order_2025_abc123"
  },
  "idempotency-key-reused": {
    type: "/problems/idempotency-key-reused",
    title: "Idempotency Key Reused",
    status: 422,
    detail: "idempotency key order_2025_abc123 was already used with a different request",
    key: "order_2025_abc123"
  },
  "rate-limited": {
    type: "/problems/rate-limited",
    title: "Too Many Requests",
    status: 429,
    detail: "rate limit of 60 requests per 1 minute exceeded",
    retry_after_seconds: 1
  },
  "internal-error": {
    type: "/problems/internal-error",
    title: "Internal Server Error",
    status: 500,
    detail: "an unexpected error occurred"
  },
  "service-unavailable": {
    type: "/problems/service-unavailable",
    title: "Service Unavailable",
    status: 503,
    detail: "order is unavailable: circuit open",
    service: "order"
  },
  "deadline-exceeded": {
    type: "/problems/deadline-exceeded",
    title: "Deadline Exceeded",
    status: 504,
    detail: "product did not answer in time",
    service: "product"
  },
  unhealthy
}
