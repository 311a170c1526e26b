import type { OrderJson } from "@shop/domain"
import type { Charge, Refund } from "@shop/payment/simulator/Model"
import type { Observation } from "./Observation.ts"

/** The promises the checker holds the platform to, once every fault is cleared and it has settled. */
export const invariants = {
  order_terminal: "no order is still pending",
  net_charge: "the processor's net charge (charges minus refunds) is the total if confirmed, 0 if failed",
  single_charge: "at most one succeeded charge per order",
  charge_has_order: "every charge the processor holds belongs to an order of the shop",
  payment_status: "the order's payment status agrees with the processor",
  one_order_per_key: "one idempotency key, one order; every order id the gateway answered exists",
  stock_conserved: "initial on-hand minus confirmed units equals on-hand now",
  no_reservation_left: "nothing stays reserved once every order has ended",
  one_email: "exactly one confirmation or failure email per ended order"
} as const
export type Invariant = keyof typeof invariants

export interface Violation {
  readonly invariant: Invariant
  /** The order or product concerned. */
  readonly subject: string
  readonly evidence: string
}

/** What the client knows of each placement: whose order it is and the id the gateway answered, if any. */
export interface PlacementRecord {
  readonly userId: string
  readonly orderId: string | undefined
}

const money = (cents: number) => (cents / 100).toFixed(2)

/** The processor's side of one order: its charges, their refunds, and what it keeps. */
export interface MoneyTrail {
  readonly charges: ReadonlyArray<Charge>
  readonly refunds: ReadonlyArray<Refund>
  readonly succeeded: ReadonlyArray<Charge>
  /** Succeeded charges minus succeeded refunds, in cents. */
  readonly net: number
}

const refundDone = (refund: Refund) => refund.status === "succeeded"

export const moneyTrails = (observation: Observation): ReadonlyMap<string, MoneyTrail> => {
  const refundsOf = new Map<string, Array<Refund>>()
  for (const refund of observation.ledger.refunds) {
    refundsOf.set(refund.charge, [...(refundsOf.get(refund.charge) ?? []), refund])
  }
  const byOrder = new Map<string, Array<Charge>>()
  for (const charge of observation.ledger.charges) {
    byOrder.set(charge.order_id, [...(byOrder.get(charge.order_id) ?? []), charge])
  }
  return new Map([...byOrder].map(([orderId, charges]) => {
    const refunds = charges.flatMap((charge) => refundsOf.get(charge.id) ?? [])
    const succeeded = charges.filter((charge) => charge.status === "succeeded")
    const charged = succeeded.reduce((sum, charge) => sum + charge.amount, 0)
    const refunded = refunds.filter(refundDone).reduce((sum, refund) => sum + refund.amount, 0)
    return [orderId, { charges, refunds, succeeded, net: charged - refunded }]
  }))
}

const noMoney: MoneyTrail = { charges: [], refunds: [], succeeded: [], net: 0 }

/** The processor's evidence for an order, one line: `charges [ch_1 89.97 succeeded] refunds [re_1 89.97 succeeded]`. */
export const describeTrail = (trail: MoneyTrail) =>
  `charges [${trail.charges.map((c) => `${c.id} ${money(c.amount)} ${c.status}`).join(", ")}] refunds [${
    trail.refunds.map((r) => `${r.id} ${money(r.amount)} ${r.status}`).join(", ")
  }] net ${money(trail.net)}`

const describeOrder = (order: OrderJson) =>
  `${order.status}${
    order.failure_reason === undefined ? "" : ` (${order.failure_reason})`
  }, payment ${order.payment_status}, total ${money(order.total_amount)}`

const ended = (order: OrderJson) => order.status !== "pending"

const checkMoney = (order: OrderJson, trail: MoneyTrail): Array<Violation> => {
  const violations: Array<Violation> = []
  const add = (invariant: Invariant, evidence: string) =>
    violations.push({ invariant, subject: order.order_id, evidence })
  const evidence = `${describeOrder(order)}; processor: ${describeTrail(trail)}`
  if (trail.succeeded.length > 1) add("single_charge", evidence)
  if (order.status === "pending") return violations
  const expected = order.status === "confirmed" ? order.total_amount : 0
  if (trail.net !== expected) add("net_charge", `expected net ${money(expected)}; ${evidence}`)
  const refunded = trail.refunds.some(refundDone)
  const truthful = order.status === "confirmed"
    ? order.payment_status === "completed"
    : order.payment_status === "refunded"
    ? refunded
    : order.payment_status === "none" || order.payment_status === "failed"
  if (!truthful) add("payment_status", evidence)
  return violations
}

const checkEmail = (order: OrderJson, observation: Observation): Array<Violation> => {
  const mails = observation.mails.filter((mail) => mail.subject.includes(order.order_id))
  const kind = order.status === "confirmed" ? /confirmed/ : /could not be completed/
  if (mails.length === 1 && kind.test(mails[0]!.subject)) return []
  return [{
    invariant: "one_email",
    subject: order.order_id,
    evidence: `${describeOrder(order)}; ${mails.length} mail(s): ${
      mails.map((mail) => `"${mail.subject}" <${mail.messageId}>`).join(", ") || "none"
    }`
  }]
}

/** Judged only once no order of the product is pending: a pending order may hold or be committing its units. */
const checkStock = (observation: Observation, orders: ReadonlyArray<OrderJson>): Array<Violation> =>
  observation.stock.flatMap((reading) => {
    const ofProduct = (order: OrderJson) => order.items.some((item) => item.product_id === reading.productId)
    if (orders.some((order) => !ended(order) && ofProduct(order))) return []
    const confirmed = orders.filter((order) => order.status === "confirmed")
    const units = confirmed.reduce(
      (sum, order) => sum + order.items.reduce((s, i) => s + (i.product_id === reading.productId ? i.quantity : 0), 0),
      0
    )
    const violations: Array<Violation> = []
    const figures =
      `initial ${reading.initial}, confirmed ${units} units, on hand ${reading.inventory}, reserved ${reading.reserved}`
    if (reading.initial - units !== reading.inventory) {
      violations.push({
        invariant: "stock_conserved",
        subject: `${reading.productId} (${reading.sku})`,
        evidence: `${figures}: ${reading.initial - units - reading.inventory} unit(s) unaccounted for`
      })
    }
    if (reading.reserved !== 0) {
      violations.push({
        invariant: "no_reservation_left",
        subject: `${reading.productId} (${reading.sku})`,
        evidence: figures
      })
    }
    return violations
  })

/** Every violation of every invariant in one observation; empty when the platform kept all its promises. */
export const check = (observation: Observation, placements: ReadonlyArray<PlacementRecord>): Array<Violation> => {
  const orders = [...observation.ordersByUser.values()].flat()
  const trails = moneyTrails(observation)
  const violations: Array<Violation> = []
  for (const placement of placements) {
    const listed = observation.ordersByUser.get(placement.userId) ?? []
    if (listed.length > 1) {
      violations.push({
        invariant: "one_order_per_key",
        subject: placement.userId,
        evidence: `one idempotency key made ${listed.length} orders: ${listed.map((o) => o.order_id).join(", ")}`
      })
    }
    if (placement.orderId !== undefined && !listed.some((order) => order.order_id === placement.orderId)) {
      violations.push({
        invariant: "one_order_per_key",
        subject: placement.orderId,
        evidence: `the gateway answered this order id to ${placement.userId}, whose orders are [${
          listed.map((o) => o.order_id).join(", ")
        }]`
      })
    }
  }
  for (const order of orders) {
    if (!ended(order)) {
      violations.push({ invariant: "order_terminal", subject: order.order_id, evidence: describeOrder(order) })
    }
    violations.push(...checkMoney(order, trails.get(order.order_id) ?? noMoney))
    if (ended(order)) violations.push(...checkEmail(order, observation))
  }
  const known = new Set<string>(orders.map((order) => order.order_id))
  for (const [orderId, trail] of trails) {
    if (!known.has(orderId) && trail.net !== 0) {
      violations.push({ invariant: "charge_has_order", subject: orderId, evidence: describeTrail(trail) })
    }
  }
  violations.push(...checkStock(observation, orders))
  return violations
}
