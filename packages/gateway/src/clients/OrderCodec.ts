import {
  Cents,
  type CreateOrderRequest,
  decodeInput,
  type Email,
  type IdempotencyKey,
  Order,
  type OrderAccepted,
  type OrderCompleted,
  type OrderJson,
  type OrderList,
  type OrderStatus,
  type PaymentStatus,
  toPaymentStatusJson,
  type UserId
} from "@shop/domain"
import * as proto from "@shop/proto/order/v1/order"
import { PaymentStatus as ProtoPayment } from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import { nextCursor } from "./NextCursor.ts"

/** shop.order.v1 -> domain -> REST. A reply that does not decode is a bug of the peer: a defect (500, logged). */

const statuses: Record<proto.OrderStatus, Order["status"] | undefined> = {
  [proto.OrderStatus.UNSPECIFIED]: undefined,
  [proto.OrderStatus.UNRECOGNIZED]: undefined,
  [proto.OrderStatus.PENDING]: "pending",
  [proto.OrderStatus.CONFIRMED]: "confirmed",
  // The REST contract has no shipped state yet: a shipped order is a confirmed one with a tracking number.
  [proto.OrderStatus.SHIPPED]: "confirmed",
  [proto.OrderStatus.FAILED]: "failed",
  [proto.OrderStatus.CANCELLED]: "cancelled"
}

const protoStatuses: Record<OrderStatus, proto.OrderStatus> = {
  pending: proto.OrderStatus.PENDING,
  confirmed: proto.OrderStatus.CONFIRMED,
  failed: proto.OrderStatus.FAILED,
  cancelled: proto.OrderStatus.CANCELLED
}

/** The status filter of a listing as the order service takes it; UNSPECIFIED for every status. */
export const toProtoStatus = (status: OrderStatus | undefined): proto.OrderStatus =>
  status === undefined ? proto.OrderStatus.UNSPECIFIED : protoStatuses[status]

const payments: Record<ProtoPayment, PaymentStatus | undefined> = {
  [ProtoPayment.UNSPECIFIED]: undefined,
  [ProtoPayment.UNRECOGNIZED]: undefined,
  [ProtoPayment.PENDING]: "pending",
  [ProtoPayment.PENDING_UNKNOWN]: "pending_unknown",
  [ProtoPayment.SUCCEEDED]: "succeeded",
  [ProtoPayment.FAILED]: "failed",
  [ProtoPayment.REFUNDED]: "refunded",
  [ProtoPayment.PARTIALLY_REFUNDED]: "refunded"
}

const ifSet = <K extends string, A>(key: K, value: A | undefined | "") =>
  (value === undefined || value === "" ? {} : { [key]: value }) as { readonly [P in K]?: A }

const decodeOrder = decodeInput(Order)

/** The domain's order from a reply. */
export const toOrder = (order: proto.Order | undefined): Effect.Effect<Order> =>
  Effect.orDie(decodeOrder(
    order === undefined ? undefined : {
      id: order.orderId,
      userId: order.userId,
      status: statuses[order.status],
      items: order.items.map((item) => ({
        productId: item.productId,
        name: item.name,
        quantity: item.quantity,
        unitPrice: item.unitPriceCents
      })),
      totalCents: order.totalCents,
      currency: order.currency,
      shippingAddress: order.shippingAddress,
      paymentMethod: order.paymentMethod,
      idempotencyKey: order.idempotencyKey,
      ...(order.email === "" ? {} : { contact: { email: order.email, ...ifSet("phone", order.phone) } }),
      sagaId: order.sagaId,
      ...ifSet("paymentId", order.paymentId),
      ...ifSet("paymentStatus", payments[order.paymentStatus]),
      ...ifSet("trackingNumber", order.trackingNumber),
      ...ifSet("failureReason", order.failureReason),
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      ...ifSet("confirmedAt", order.confirmedAt)
    }
  ))

/** An order as the REST API shows it; members without a value yet are left out. */
export const toOrderJson = (order: Order): OrderJson => ({
  order_id: order.id,
  status: order.status,
  user_id: order.userId,
  items: order.items.map((line) => ({
    product_id: line.productId,
    name: line.name,
    quantity: line.quantity,
    unit_price: line.unitPrice,
    // Within an order's total, which is at most MaxCents: a valid amount.
    line_total: Cents.make(line.lineTotal)
  })),
  total_amount: order.totalCents,
  payment_status: toPaymentStatusJson(order.paymentStatus),
  created_at: order.createdAt,
  currency: order.currency,
  saga_id: order.sagaId,
  shipping_address: order.shippingAddress,
  payment_method: order.paymentMethod,
  updated_at: order.updatedAt,
  ...ifSet("payment_id", order.paymentId),
  ...ifSet("tracking_number", order.trackingNumber),
  ...ifSet("confirmed_at", order.confirmedAt),
  ...ifSet("failure_reason", order.failureReason),
  ...ifSet("email", order.contact?.email),
  ...ifSet("phone", order.contact?.phone)
})

/** The answer to a create: 202 while the saga runs, 201 once it has ended. */
export const toCreated = (order: Order): OrderAccepted | OrderCompleted => {
  const common = {
    order_id: order.id,
    total_amount: order.totalCents,
    created_at: order.createdAt,
    saga_id: order.sagaId,
    currency: order.currency
  }
  return order.status === "pending"
    ? { ...common, status: "pending" }
    : { ...common, status: order.status, ...ifSet("failure_reason", order.failureReason) }
}

/** A page of orders as the REST API shows it. */
export const toOrderList = (
  orders: ReadonlyArray<Order>,
  response: proto.ListOrdersResponse,
  request: { readonly page: number; readonly limit: number }
): OrderList => ({
  orders: orders.map(toOrderJson),
  total: response.total,
  page: response.page > 0 ? response.page : request.page,
  limit: response.limit > 0 ? response.limit : request.limit,
  has_more: response.nextCursor !== "",
  ...nextCursor(response.nextCursor)
})

/**
 * A create request of the REST API as the order service takes it, on behalf of the caller, with the idempotency
 * key the request carried (header or body, see IdempotencyKeyHeader); without an `email` in
 * the request, the one of the caller's token (when it has one) is where the customer is told.
 */
export const toCreateRequest = (
  caller: { readonly userId: UserId; readonly email?: Email | undefined },
  input: CreateOrderRequest,
  idempotencyKey: IdempotencyKey
): proto.CreateOrderRequest => ({
  userId: caller.userId,
  items: input.items.map((item) => ({ productId: item.product_id, quantity: item.quantity })),
  shippingAddress: { ...input.shipping_address },
  paymentMethod: input.payment_method,
  idempotencyKey,
  email: input.email ?? caller.email ?? "",
  phone: input.phone ?? ""
})
