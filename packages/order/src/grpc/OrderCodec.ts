import { ValidationError } from "@shop/domain"
import { type CreateOrderRequest, type ListOrdersRequest, type Order, OrderStatus } from "@shop/proto/order/v1/order"
import { PaymentStatus } from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import type { CreateOrderInput } from "../OrderInput.ts"
import type { PageRequest } from "../OrderRepo.ts"
import type { OrderRecord } from "../SagaState.ts"

export const defaultLimit = 20
export const maxLimit = 100

/** A CreateOrder request as the application service takes it. */
export const toCreateInput = (request: CreateOrderRequest): CreateOrderInput => ({
  userId: request.userId,
  items: request.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
  shippingAddress: {
    street: request.shippingAddress?.street ?? "",
    city: request.shippingAddress?.city ?? "",
    state: request.shippingAddress?.state ?? "",
    zip: request.shippingAddress?.zip ?? ""
  },
  paymentMethod: request.paymentMethod,
  idempotencyKey: request.idempotencyKey
})

/** Page number or cursor of a ListOrders request. */
export const toPageRequest = (request: ListOrdersRequest): Effect.Effect<PageRequest, ValidationError> => {
  const limit = request.limit <= 0 ? defaultLimit : Math.min(request.limit, maxLimit)
  if (request.cursor !== "") {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(request.cursor, "base64url").toString("utf8"))
      if (Array.isArray(decoded) && typeof decoded[0] === "string" && typeof decoded[1] === "string") {
        return Effect.succeed({ _tag: "After", createdAt: decoded[0], id: decoded[1], limit })
      }
    } catch {
      // falls through to the validation error
    }
    return Effect.fail(new ValidationError({ field: "cursor", detail: "not a cursor of this API" }))
  }
  return Effect.succeed({ _tag: "Page", page: Math.max(1, request.page), limit })
}

const statusOf = (status: OrderRecord["status"]): OrderStatus => {
  switch (status) {
    case "pending":
      return OrderStatus.PENDING
    case "confirmed":
      return OrderStatus.CONFIRMED
    case "failed":
      return OrderStatus.FAILED
    case "cancelled":
      return OrderStatus.CANCELLED
  }
}

const paymentStatusOf = (order: OrderRecord): PaymentStatus => {
  switch (order.paymentStatus) {
    case "completed":
      return PaymentStatus.SUCCEEDED
    case "failed":
      return PaymentStatus.FAILED
    case "refunded":
      return PaymentStatus.REFUNDED
    case "pending":
      // UNSPECIFIED while no charge has been attempted (proto contract).
      return order.paymentId === undefined ? PaymentStatus.UNSPECIFIED : PaymentStatus.PENDING
  }
}

/** An order as the proto carries it. */
export const toProto = (order: OrderRecord): Order => ({
  orderId: order.id,
  userId: order.userId,
  status: statusOf(order.status),
  items: order.items.map((item) => ({
    productId: item.productId,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents,
    name: item.name
  })),
  totalCents: order.totalCents,
  currency: order.currency,
  sagaId: order.sagaId,
  paymentStatus: paymentStatusOf(order),
  paymentId: order.paymentId ?? "",
  trackingNumber: order.trackingNumber ?? "",
  failureReason: order.failureReason ?? "",
  createdAt: order.createdAt,
  confirmedAt: order.confirmedAt ?? "",
  shippingAddress: { ...order.shippingAddress },
  idempotencyKey: order.idempotencyKey,
  updatedAt: order.updatedAt
})
