import { decodeInput, type Order, OrderId, type OrderStatus, PlaceOrder, UserId, ValidationError } from "@shop/domain"
import * as proto from "@shop/proto/order/v1/order"
import { PaymentStatus as ProtoPaymentStatus } from "@shop/proto/payment/v1/payment"
import { DateTime, Effect, Schema } from "effect"
import type { PageRequest } from "../OrderRepo.ts"

/** shop.order.v1 <-> domain. Requests are decoded with the domain's schemas; proto types stop here. */

export const defaultLimit = 20
export const maxLimit = 100

const decodePlaceOrder = decodeInput(PlaceOrder)

/** A CreateOrder request as the domain's `PlaceOrder`; a broken rule is a ValidationError naming its field. */
export const decodeCreateRequest = (request: proto.CreateOrderRequest): Effect.Effect<PlaceOrder, ValidationError> => {
  const { email, phone, ...rest } = request
  const contact = email === "" ? {} : { contact: { email, ...(phone === "" ? {} : { phone }) } }
  // A phone without an email is refused by name: the contact starts with an email.
  if (email === "" && phone !== "") {
    return Effect.fail(new ValidationError({ field: "email", detail: "a phone number needs an email address" }))
  }
  return decodePlaceOrder({ ...rest, ...contact })
}

const OrderLookup = Schema.Struct({ orderId: OrderId, userId: UserId })

/** The order and the user a GetOrder request is made for. */
export const decodeGetRequest = decodeInput(OrderLookup)

const decodeUser = decodeInput(Schema.Struct({ userId: UserId }))

/** The status filter of a ListOrders request: none for UNSPECIFIED; SHIPPED is no status an order is stored in. */
const decodeStatusFilter = (status: proto.OrderStatus): Effect.Effect<OrderStatus | undefined, ValidationError> => {
  if (status === proto.OrderStatus.UNSPECIFIED) return Effect.succeed(undefined)
  const found = (Object.keys(statuses) as Array<OrderStatus>).find((name) => statuses[name] === status)
  return found === undefined
    ? Effect.fail(new ValidationError({ field: "status", detail: "not a status an order can be listed by" }))
    : Effect.succeed(found)
}

/** The page (number or cursor) and the status filter of a listing request. */
export const decodePageRequest = (
  request: {
    readonly page: number
    readonly limit: number
    readonly cursor: string
    readonly status: proto.OrderStatus
  }
): Effect.Effect<{ readonly page: PageRequest; readonly status: OrderStatus | undefined }, ValidationError> =>
  Effect.gen(function*() {
    const status = yield* decodeStatusFilter(request.status)
    const limit = request.limit <= 0 ? defaultLimit : Math.min(request.limit, maxLimit)
    if (request.cursor === "") return { status, page: { _tag: "Page", page: Math.max(1, request.page), limit } }
    return { status, page: yield* decodeCursor(request.cursor, limit) }
  })

/** The user, the page (number or cursor) and the status filter of a ListOrders request. */
export const decodeListRequest = (
  request: proto.ListOrdersRequest
): Effect.Effect<
  { readonly userId: UserId; readonly page: PageRequest; readonly status: OrderStatus | undefined },
  ValidationError
> =>
  Effect.gen(function*() {
    const { userId } = yield* decodeUser(request)
    return { userId, ...(yield* decodePageRequest(request)) }
  })

/** A page of orders as a ListOrdersResponse. */
export const encodeOrderPage = (
  result: { readonly orders: ReadonlyArray<Order>; readonly total: number; readonly nextCursor: string | undefined },
  page: PageRequest
): proto.ListOrdersResponse => ({
  orders: result.orders.map(encodeOrder),
  total: result.total,
  page: page._tag === "Page" ? page.page : 0,
  limit: page.limit,
  nextCursor: result.nextCursor ?? ""
})

const Cursor = Schema.fromJsonString(Schema.Tuple([Schema.DateTimeUtcFromString, OrderId]))
const notACursor = new ValidationError({ field: "cursor", detail: "not a cursor of this API" })

const decodeCursor = (cursor: string, limit: number): Effect.Effect<PageRequest, ValidationError> =>
  Schema.decodeUnknownEffect(Cursor)(Buffer.from(cursor, "base64url").toString("utf8")).pipe(
    Effect.map(([createdAt, id]): PageRequest => ({
      _tag: "After",
      createdAt: DateTime.formatIso(createdAt),
      id,
      limit
    })),
    Effect.mapError(() => notACursor)
  )

const statuses: Record<Order["status"], proto.OrderStatus> = {
  pending: proto.OrderStatus.PENDING,
  confirmed: proto.OrderStatus.CONFIRMED,
  failed: proto.OrderStatus.FAILED,
  cancelled: proto.OrderStatus.CANCELLED
}

const paymentStatuses: Record<NonNullable<Order["paymentStatus"]>, ProtoPaymentStatus> = {
  pending: ProtoPaymentStatus.PENDING,
  pending_unknown: ProtoPaymentStatus.PENDING_UNKNOWN,
  succeeded: ProtoPaymentStatus.SUCCEEDED,
  failed: ProtoPaymentStatus.FAILED,
  refunded: ProtoPaymentStatus.REFUNDED
}

const iso = (at: DateTime.Utc | undefined) => at === undefined ? "" : DateTime.formatIso(at)

/** An order as the proto carries it; UNSPECIFIED payment status while no charge has been attempted. */
export const encodeOrder = (order: Order): proto.Order => ({
  orderId: order.id,
  userId: order.userId,
  status: statuses[order.status],
  items: order.items.map((line) => ({
    productId: line.productId,
    quantity: line.quantity,
    unitPriceCents: line.unitPrice,
    name: line.name
  })),
  totalCents: order.totalCents,
  currency: order.currency,
  sagaId: order.sagaId,
  paymentStatus: order.paymentStatus === undefined
    ? ProtoPaymentStatus.UNSPECIFIED
    : paymentStatuses[order.paymentStatus],
  paymentId: order.paymentId ?? "",
  trackingNumber: order.trackingNumber ?? "",
  failureReason: order.failureReason ?? "",
  createdAt: iso(order.createdAt),
  confirmedAt: iso(order.confirmedAt),
  shippingAddress: { ...order.shippingAddress },
  idempotencyKey: order.idempotencyKey,
  updatedAt: iso(order.updatedAt),
  paymentMethod: order.paymentMethod,
  email: order.contact?.email ?? "",
  phone: order.contact?.phone ?? ""
})
