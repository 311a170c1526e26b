import type { EventOf } from "@shop/domain/Events"
import { createHash } from "node:crypto"

/** A message rendered for one event. */
export interface Rendered {
  readonly template: string
  readonly subject: string
  readonly body: string
}

const transactionalTemplates: ReadonlySet<string> = new Set(["order_confirmed", "order_failed"])

/**
 * Transactional messages are the ones a customer must get (an order's confirmation or failure): no per-recipient
 * cap ever holds them back. Anything else (no such template exists yet) is subject to `NOTIFICATION_CAP_PER_HOUR`.
 */
export const isTransactional = (template: string) => transactionalTemplates.has(template)

/**
 * Development only (see Recipients.ts): a local address derived from the user id, the same for the same user, for
 * events that carry no contact. It never leaves the development mail box (the local sink or Mailpit).
 */
export const derivedEmail = (userId: string) => `${userId.replace(/[^\w.-]/g, "_")}@customers.shop-mesh.local`
/** Development only, like `derivedEmail`: a number in the +1555 fictional range. */
export const derivedPhone = (userId: string) => {
  const digits = BigInt(`0x${createHash("sha256").update(userId).digest("hex").slice(0, 12)}`) % 10_000_000n
  return `+1555${digits.toString().padStart(7, "0")}`
}

/** Cents as a decimal amount, exactly (no floating point). */
export const formatCents = (cents: number, currency: string) =>
  `${Math.trunc(cents / 100)}.${String(Math.abs(cents % 100)).padStart(2, "0")} ${currency}`

const reasons: Record<string, string> = {
  insufficient_stock: "some items are out of stock",
  payment_declined: "the payment was declined",
  payment_unavailable: "the payment service was unavailable",
  timeout: "it took too long to complete",
  internal: "of an internal error"
}

export const renderConfirmed = (event: EventOf<"order.confirmed">): Rendered => {
  const p = event.payload
  const lines = p.items.map((item) =>
    `  ${item.quantity} x ${item.name} at ${formatCents(item.unitPriceCents, p.currency)}`
  )
  return {
    template: "order_confirmed",
    subject: `Order ${p.orderId} confirmed: ${formatCents(p.totalCents, p.currency)}`,
    body: [
      `Thank you for your order ${p.orderId}.`,
      "",
      ...lines,
      "",
      `Total: ${formatCents(p.totalCents, p.currency)}`,
      p.trackingNumber === undefined ? "Tracking number: to follow" : `Tracking number: ${p.trackingNumber}`
    ].join("\n")
  }
}

export const renderFailed = (event: EventOf<"order.failed">): Rendered => {
  const p = event.payload
  return {
    template: "order_failed",
    subject: `Order ${p.orderId} could not be completed`,
    body: [
      `We could not complete your order ${p.orderId} because ${reasons[p.reason] ?? p.reason}.`,
      p.detail === "" ? "" : `Detail: ${p.detail}`,
      "Nothing was charged, or the charge was refunded."
    ].filter((line) => line !== "").join("\n")
  }
}
