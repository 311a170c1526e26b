import { OrderCreated, OrderId, ProductId, SagaId, UserId } from "@shop/domain"
import type { OrderRecord } from "./SagaState.ts"

/** The order's lines as events carry them. */
export const eventLines = (order: OrderRecord) =>
  order.items.map((item) => ({
    productId: ProductId.make(item.productId),
    name: item.name as never,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents as never
  }))

/** `order.created` of a new order. */
export const orderCreated = (order: OrderRecord, traceparent: string | undefined) =>
  OrderCreated.create({
    orderId: OrderId.make(order.id),
    userId: UserId.make(order.userId),
    sagaId: SagaId.make(order.sagaId),
    items: eventLines(order),
    totalCents: order.totalCents as never,
    currency: order.currency as never
  }, { traceparent })
