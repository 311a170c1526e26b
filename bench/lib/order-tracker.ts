/**
 * Follows the orders of a bench run through the platform's events: when each was due to be sent, when its
 * confirmation happened (`occurredAt` of `order.confirmed`), and everything that would betray double work: a second
 * `order.confirmed` (another event id) for one order, or a second payment.
 */
import type { SeenEvent } from "./order-events.ts"

export interface OrderOutcome {
  readonly dueAt: number
  confirmedAt?: number
  deliveredAt?: number
  failed?: string
  readonly confirmations: Set<string>
  readonly payments: Set<string>
}

export const makeOrderTracker = () => {
  const orders = new Map<string, OrderOutcome>()
  // events can arrive before the create call has answered: keep them until the order is known
  const early = new Map<string, Array<SeenEvent>>()
  let redeliveries = 0
  const seenIds = new Set<string>()

  const apply = (outcome: OrderOutcome, seen: SeenEvent) => {
    const { event } = seen
    if (event.type === "order.confirmed") {
      outcome.confirmations.add(event.eventId)
      if (outcome.confirmedAt === undefined || seen.occurredAt < outcome.confirmedAt) {
        outcome.confirmedAt = seen.occurredAt
        outcome.deliveredAt = seen.receivedAt
      }
    } else if (event.type === "order.failed") {
      outcome.failed = `${event.payload.reason}: ${event.payload.detail}`
    } else if (event.type === "payment.succeeded") {
      outcome.payments.add(event.payload.paymentId)
    }
  }

  return {
    /** An order the platform accepted, with the time its request was due (epoch milliseconds). */
    created: (orderId: string, dueAt: number) => {
      const outcome: OrderOutcome = { dueAt, confirmations: new Set(), payments: new Set() }
      orders.set(orderId, outcome)
      for (const seen of early.get(orderId) ?? []) apply(outcome, seen)
      early.delete(orderId)
    },
    seen: (seen: SeenEvent) => {
      // at-least-once delivery: the same event id twice is a redelivery, not double work
      if (seenIds.has(seen.event.eventId)) return void redeliveries++
      seenIds.add(seen.event.eventId)
      const orderId = "orderId" in seen.event.payload ? String(seen.event.payload.orderId) : undefined
      if (orderId === undefined) return
      const outcome = orders.get(orderId)
      if (outcome !== undefined) apply(outcome, seen)
      else if (early.size < 100_000) early.set(orderId, [...early.get(orderId) ?? [], seen])
    },
    orders,
    pending: () => [...orders.values()].filter((o) => o.confirmedAt === undefined && o.failed === undefined).length,
    redeliveries: () => redeliveries,
    /** Orders confirmed by two different events, or paid twice. */
    duplicates: () => ({
      confirmations: [...orders.values()].filter((o) => o.confirmations.size > 1).length,
      payments: [...orders.values()].filter((o) => o.payments.size > 1).length
    })
  }
}

export type OrderTracker = ReturnType<typeof makeOrderTracker>
