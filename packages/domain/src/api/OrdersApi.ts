import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { Email, PhoneNumber } from "../Contact.ts"
import { IdempotencyKey, OrderId, PaymentId, ProductId, SagaId, TrackingNumber, UserId } from "../Ids.ts"
import { Currency, PriceFromDecimal } from "../Money.ts"
import { problemsOf } from "../Operations.ts"
import { OrderLines, OrderStatus, Quantity, ShippingAddress } from "../Order.ts"
import { PaymentMethod, type PaymentStatus } from "../Payment.ts"
import {
  DeadlineExceededProblem,
  ForbiddenProblem,
  InternalErrorProblem,
  ServiceUnavailableProblem
} from "../Problem.ts"
import { ProductName } from "../Product.ts"
import { Timestamp } from "../Timestamp.ts"
import { Authorization } from "./Authorization.ts"
import { OrderListCursor } from "./Cursors.ts"
import { PageInfo, PageQuery } from "./Pagination.ts"

/** A shipping address as JSON: `{ street, city, state, zip }`. */
export const ShippingAddressJson = Schema.Struct(ShippingAddress.fields).annotate({ identifier: "ShippingAddress" })
export type ShippingAddressJson = typeof ShippingAddressJson.Type

/** One requested line: a product and a quantity from 1 to 1000. The price comes from the catalog, never the client. */
export const OrderItemRequest = Schema.Struct({ product_id: ProductId, quantity: Quantity }).annotate({
  identifier: "OrderItemRequest"
})

/**
 * Body of `POST /api/v1/orders`. `user_id` may be omitted; when given it must be the caller. `email` (and `phone`)
 * name where the customer is told about the order; without `email`, the bearer token's `email` claim. Unknown members
 * are refused, so a client cannot set an id, a status or a price. The idempotency key is `idempotency_key` or the
 * `Idempotency-Key` header (one of them is required; both must then be equal).
 */
export const CreateOrderRequest = Schema.Struct({
  user_id: Schema.optionalKey(UserId),
  items: OrderLines(OrderItemRequest, "product_id"),
  shipping_address: ShippingAddressJson,
  payment_method: PaymentMethod,
  /** The request's idempotency key; may be sent as the `Idempotency-Key` header instead. */
  idempotency_key: Schema.optionalKey(IdempotencyKey),
  /** Where the confirmation goes; without it, the token's `email` claim. */
  email: Schema.optionalKey(Email),
  /** For an SMS when the email cannot be delivered (E.164, e.g. +14155550123). */
  phone: Schema.optionalKey(PhoneNumber)
}).annotate({ identifier: "CreateOrderRequest" })
export type CreateOrderRequest = typeof CreateOrderRequest.Type

/** The answer to `POST /api/v1/orders` while the order's saga still runs: 202 Accepted, status `pending`. */
export const OrderAccepted = Schema.Struct({
  order_id: OrderId,
  status: Schema.Literal("pending"),
  total_amount: PriceFromDecimal,
  created_at: Timestamp,
  saga_id: SagaId,
  currency: Schema.optionalKey(Currency)
}).annotate({ identifier: "OrderAccepted" })
export type OrderAccepted = typeof OrderAccepted.Type

/**
 * The answer to `POST /api/v1/orders` once the saga has ended within the request: 201 Created with the terminal
 * status (`confirmed`, or `failed` with `failure_reason`).
 */
export const OrderCompleted = Schema.Struct({
  order_id: OrderId,
  status: Schema.Literals(["confirmed", "failed", "cancelled"]),
  total_amount: PriceFromDecimal,
  created_at: Timestamp,
  saga_id: SagaId,
  currency: Schema.optionalKey(Currency),
  failure_reason: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "OrderCompleted" })
export type OrderCompleted = typeof OrderCompleted.Type

/** The payment of an order as the API shows it; `none` until a charge is attempted. */
export const PaymentStatusJson = Schema.Literals(["none", "pending", "completed", "failed", "refunded"]).annotate({
  identifier: "PaymentStatusJson"
})
export type PaymentStatusJson = typeof PaymentStatusJson.Type

/** Maps a payment status of the domain to its REST form (`succeeded` is shown as `completed`). */
export const toPaymentStatusJson = (status: PaymentStatus | undefined): PaymentStatusJson => {
  switch (status) {
    case undefined:
      return "none"
    case "pending":
    case "pending_unknown":
      return "pending"
    case "succeeded":
      return "completed"
    case "failed":
    case "refunded":
      return status
  }
}

/** One line of an order: the product, its name and unit price when ordered, and the line total. */
export const OrderItemJson = Schema.Struct({
  product_id: ProductId,
  name: ProductName,
  quantity: Quantity,
  unit_price: PriceFromDecimal,
  line_total: PriceFromDecimal
}).annotate({ identifier: "OrderItem" })
export type OrderItemJson = typeof OrderItemJson.Type

/**
 * Response of `GET /api/v1/orders/{id}`. Members without a value yet (`payment_id`, `tracking_number`,
 * `confirmed_at`, `failure_reason`) are omitted.
 */
export const OrderJson = Schema.Struct({
  order_id: OrderId,
  status: OrderStatus,
  user_id: UserId,
  items: Schema.Array(OrderItemJson),
  total_amount: PriceFromDecimal,
  payment_status: PaymentStatusJson,
  created_at: Timestamp,
  payment_id: Schema.optionalKey(PaymentId),
  tracking_number: Schema.optionalKey(TrackingNumber),
  confirmed_at: Schema.optionalKey(Timestamp),
  failure_reason: Schema.optionalKey(Schema.String),
  currency: Schema.optionalKey(Currency),
  saga_id: Schema.optionalKey(SagaId),
  shipping_address: Schema.optionalKey(ShippingAddressJson),
  payment_method: Schema.optionalKey(PaymentMethod),
  updated_at: Schema.optionalKey(Timestamp),
  email: Schema.optionalKey(Email),
  phone: Schema.optionalKey(PhoneNumber)
}).annotate({ identifier: "Order" })
export type OrderJson = typeof OrderJson.Type

/** Query of `GET /api/v1/orders`. */
export const ListOrdersQuery = Schema.Struct({
  ...PageQuery,
  cursor: Schema.optionalKey(OrderListCursor),
  status: Schema.optionalKey(OrderStatus)
}).annotate({
  identifier: "ListOrdersQuery"
})
export type ListOrdersQuery = typeof ListOrdersQuery.Type

/** Response of `GET /api/v1/orders`: the caller's orders, newest first. */
export const OrderList = Schema.Struct({ orders: Schema.Array(OrderJson), ...PageInfo }).annotate({
  identifier: "OrderList"
})
export type OrderList = typeof OrderList.Type

const unavailable = [ServiceUnavailableProblem, DeadlineExceededProblem, InternalErrorProblem] as const

/** Orders of the authenticated caller. */
export class OrdersApi extends HttpApiGroup.make("orders")
  .add(
    HttpApiEndpoint.post("create", "/api/v1/orders", {
      payload: CreateOrderRequest,
      success: [OrderCompleted.pipe(HttpApiSchema.status(201)), OrderAccepted.pipe(HttpApiSchema.status(202))],
      error: [...problemsOf("placeOrder"), ForbiddenProblem, ...unavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Place an order",
      description: "Reserves stock, charges the payment and confirms the order (a saga). Answers 201 when the saga " +
        "ended within the request, else 202 with status pending: a decline or a stock-out is the order's outcome " +
        "(status failed, failure_reason), never an error of this call. Repeating a request with the same " +
        "idempotency_key returns the same order; reusing the key for another request is a 422. An order whose " +
        "total is above what one payment can charge (999,999.99) is a 400."
    })),
    HttpApiEndpoint.get("get", "/api/v1/orders/:id", {
      params: { id: OrderId },
      success: OrderJson,
      error: [...problemsOf("getOrder"), ...unavailable]
    }).annotateMerge(OpenApi.annotations({
      summary: "Get an order",
      description: "The caller's order with its payment and shipping state; another user's order is a 404."
    })),
    HttpApiEndpoint.get("list", "/api/v1/orders", {
      query: ListOrdersQuery,
      success: OrderList,
      error: [...problemsOf("listOrders"), ...unavailable]
    }).annotateMerge(OpenApi.annotations({ summary: "List the caller's orders", description: "Newest first." }))
  )
  .middleware(Authorization)
  .annotateMerge(OpenApi.annotations({ title: "Orders", description: "Placing and following orders" }))
{}
