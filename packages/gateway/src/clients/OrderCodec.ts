import {
  type CreateOrderRequest,
  OrderAccepted,
  OrderCompleted,
  OrderJson,
  OrderList,
  type PaymentStatus,
  toDecimal,
  toPaymentStatusJson,
  type UserId
} from "@shop/domain"
import type * as proto from "@shop/proto/order/v1/order"
import { OrderStatus as ProtoStatus } from "@shop/proto/order/v1/order"
import { PaymentStatus as ProtoPayment } from "@shop/proto/payment/v1/payment"
import { Effect, Schema } from "effect"

// A reply that does not decode is a bug of the peer: a defect, answered 500 and logged with its cause.
const decode = <S extends Schema.Codec<any, any>>(schema: S) => {
  const run = Schema.decodeUnknownEffect(schema)
  return (input: unknown): Effect.Effect<S["Type"]> => Effect.orDie(run(input))
}

const statuses: Record<string, string> = {
  [ProtoStatus.PENDING]: "pending",
  [ProtoStatus.CONFIRMED]: "confirmed",
  // The REST contract has no shipped state yet: a shipped order is a confirmed one with a tracking number.
  [ProtoStatus.SHIPPED]: "confirmed",
  [ProtoStatus.FAILED]: "failed",
  [ProtoStatus.CANCELLED]: "cancelled"
}

const payments: Record<string, PaymentStatus | undefined> = {
  [ProtoPayment.PENDING]: "pending",
  [ProtoPayment.PENDING_UNKNOWN]: "pending_unknown",
  [ProtoPayment.SUCCEEDED]: "succeeded",
  [ProtoPayment.FAILED]: "failed",
  [ProtoPayment.REFUNDED]: "refunded",
  [ProtoPayment.PARTIALLY_REFUNDED]: "refunded"
}

const optional = <K extends string>(key: K, value: string) => value === "" ? {} : { [key]: value }

const money = (cents: number) => toDecimal(cents as never)

const orderJson = (order: proto.Order) => ({
  order_id: order.orderId,
  status: statuses[order.status] ?? order.status,
  user_id: order.userId,
  items: order.items.map((item) => ({
    product_id: item.productId,
    name: item.name,
    quantity: item.quantity,
    unit_price: money(item.unitPriceCents),
    line_total: money(item.unitPriceCents * item.quantity)
  })),
  total_amount: money(order.totalCents),
  payment_status: toPaymentStatusJson(payments[order.paymentStatus]),
  created_at: order.createdAt,
  ...optional("payment_id", order.paymentId),
  ...optional("tracking_number", order.trackingNumber),
  ...optional("confirmed_at", order.confirmedAt),
  ...optional("failure_reason", order.failureReason),
  ...optional("currency", order.currency),
  ...optional("saga_id", order.sagaId),
  ...optional("updated_at", order.updatedAt),
  ...(order.shippingAddress === undefined ? {} : { shipping_address: order.shippingAddress })
})

const present = (order: proto.Order | undefined): proto.Order =>
  order ?? (() => {
    throw new Error("order reply without an order")
  })()

export const decodeOrder = (order: proto.Order | undefined) =>
  Effect.suspend(() => decode(OrderJson)(orderJson(present(order))))

/** The answer to a create: 202 while the saga runs, 201 once it has ended. */
export const decodeCreated = (order: proto.Order | undefined): Effect.Effect<OrderAccepted | OrderCompleted> =>
  Effect.suspend((): Effect.Effect<OrderAccepted | OrderCompleted> => {
    const json = orderJson(present(order))
    const created = {
      order_id: json.order_id,
      status: json.status,
      total_amount: json.total_amount,
      created_at: json.created_at,
      saga_id: order?.sagaId,
      ...optional("currency", order?.currency ?? ""),
      ...optional("failure_reason", order?.failureReason ?? "")
    }
    return json.status === "pending"
      ? decode(OrderAccepted)(created)
      : decode(OrderCompleted)(created)
  })

export const decodeOrderList = (response: proto.ListOrdersResponse, page: number, limit: number) =>
  decode(OrderList)({
    orders: response.orders.map(orderJson),
    total: response.total,
    page: response.page > 0 ? response.page : page,
    limit: response.limit > 0 ? response.limit : limit,
    ...optional("next_cursor", response.nextCursor)
  })

export const encodeCreateRequest = (userId: UserId, input: CreateOrderRequest): proto.CreateOrderRequest => ({
  userId,
  items: input.items.map((item) => ({ productId: item.product_id, quantity: item.quantity })),
  shippingAddress: { ...input.shipping_address },
  paymentMethod: input.payment_method,
  idempotencyKey: input.idempotency_key
})
