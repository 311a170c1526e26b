import { assert, describe, it } from "@effect/vitest"
import { OrderJson, type ProductId } from "@shop/domain"
import type { Charge, Refund } from "@shop/payment/simulator/Model"
import { Schema } from "effect"
import { check, type Invariant, type PlacementRecord } from "./Invariants.ts"
import type { Observation } from "./Observation.ts"

// The checker must be able to fail: a consistent world passes, and each broken promise is reported by its own
// invariant, with the order or product it concerns.

const order = (id: string, user: string, fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(OrderJson)({
    order_id: id,
    user_id: user,
    items: [{ product_id: "prod_a", name: "A", quantity: 2, unit_price: 10, line_total: 20 }],
    total_amount: 20,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:05Z",
    ...fields
  })

const charge = (id: string, orderId: string, status: Charge["status"] = "succeeded"): Charge => ({
  id,
  object: "charge",
  status,
  amount: 2000,
  amount_refunded: 0,
  refunded: false,
  currency: "usd",
  payment_method: "credit_card",
  order_id: orderId,
  metadata: {},
  failure_code: null,
  failure_message: null,
  created: 0
})

const refund = (id: string, chargeId: string): Refund => ({
  id,
  object: "refund",
  status: "succeeded",
  charge: chargeId,
  amount: 2000,
  currency: "usd",
  reason: null,
  metadata: {},
  created: 0
})

const mail = (subject: string, n: number) => ({ id: `mail_${n}`, to: [], subject, messageId: `<m${n}>` })

/** Three orders that kept every promise: confirmed and charged, declined, and charged then refunded. */
const consistent = (): Observation => ({
  ordersByUser: new Map([
    ["u1", [order("ord_1", "u1", { status: "confirmed", payment_status: "completed" })]],
    ["u2", [order("ord_2", "u2", { status: "failed", payment_status: "failed", failure_reason: "payment_declined" })]],
    [
      "u3",
      [order("ord_3", "u3", { status: "failed", payment_status: "refunded", failure_reason: "reservation_expired" })]
    ]
  ]),
  ledger: {
    charges: [charge("ch_1", "ord_1"), charge("ch_2", "ord_2", "failed"), charge("ch_3", "ord_3")],
    refunds: [refund("re_3", "ch_3")]
  },
  stock: [{ productId: "prod_a" as ProductId, sku: "A", initial: 10, inventory: 8, reserved: 0 }],
  mails: [
    mail("Order ord_1 confirmed: $20.00", 1),
    mail("Order ord_2 could not be completed", 2),
    mail("Order ord_3 could not be completed", 3)
  ]
})

const placements: Array<PlacementRecord> = [
  { userId: "u1", orderId: "ord_1" },
  { userId: "u2", orderId: "ord_2" },
  { userId: "u3", orderId: undefined }
]

const found = (observation: Observation, records = placements) =>
  check(observation, records).map((v): [Invariant, string] => [v.invariant, v.subject])

describe("chaos invariants", () => {
  it("finds nothing wrong with orders that kept every promise", () => {
    assert.deepStrictEqual(check(consistent(), placements), [])
  })

  it("reports a failed order the processor still holds money for (latency beyond every timeout)", () => {
    const world = consistent()
    const violations = check({ ...world, ledger: { ...world.ledger, refunds: [] } }, placements)
    assert.deepStrictEqual(violations.map((v) => [v.invariant, v.subject]), [
      ["net_charge", "ord_3"],
      ["payment_status", "ord_3"]
    ])
    assert.match(violations[0]!.evidence, /expected net 0\.00; failed \(reservation_expired\).*ch_3 20\.00 succeeded/)
  })

  it("reports a confirmed order without its money, and a second charge", () => {
    const world = consistent()
    assert.deepStrictEqual(
      found({ ...world, ledger: { charges: world.ledger.charges.slice(1), refunds: world.ledger.refunds } }),
      [
        ["net_charge", "ord_1"]
      ]
    )
    assert.deepStrictEqual(
      found({ ...world, ledger: { ...world.ledger, charges: [...world.ledger.charges, charge("ch_1b", "ord_1")] } }),
      [["single_charge", "ord_1"], ["net_charge", "ord_1"]]
    )
  })

  it("reports a pending order, a charge no order owns, and a payment status the processor contradicts", () => {
    const world = consistent()
    const users = new Map(world.ordersByUser)
    users.set("u1", [order("ord_1", "u1", { status: "pending", payment_status: "pending" })])
    users.set("u2", [order("ord_2", "u2", { status: "failed", payment_status: "pending", failure_reason: "x" })])
    const orphan = charge("ch_x", "ord_unknown")
    assert.deepStrictEqual(
      found({ ...world, ordersByUser: users, ledger: { ...world.ledger, charges: [...world.ledger.charges, orphan] } }),
      [["order_terminal", "ord_1"], ["payment_status", "ord_2"], ["charge_has_order", "ord_unknown"]]
    )
  })

  it("reports two orders for one key and an answered order id that does not exist", () => {
    const world = consistent()
    const users = new Map(world.ordersByUser)
    users.set("u3", [...users.get("u3")!, order("ord_4", "u3", { status: "failed", payment_status: "none" })])
    assert.deepStrictEqual(
      found({ ...world, ordersByUser: users, mails: [...world.mails, mail("Order ord_4 could not be completed", 4)] }, [
        ...placements.slice(0, 2),
        { userId: "u3", orderId: "ord_9" }
      ]),
      [["one_order_per_key", "u3"], ["one_order_per_key", "ord_9"]]
    )
  })

  it("reports lost or extra stock and a reservation left behind", () => {
    const world = consistent()
    const reading = world.stock[0]!
    assert.deepStrictEqual(found({ ...world, stock: [{ ...reading, inventory: 7 }] }), [
      ["stock_conserved", "prod_a (A)"]
    ])
    assert.deepStrictEqual(found({ ...world, stock: [{ ...reading, reserved: 2 }] }), [
      ["no_reservation_left", "prod_a (A)"]
    ])
  })

  it("reports a missing mail, a duplicate mail and a mail of the wrong kind", () => {
    const world = consistent()
    assert.deepStrictEqual(
      found({
        ...world,
        mails: [
          mail("Order ord_1 confirmed: $20.00", 1),
          mail("Order ord_1 confirmed: $20.00", 4),
          mail("Order ord_3 confirmed: $20.00", 3)
        ]
      }),
      [["one_email", "ord_1"], ["one_email", "ord_2"], ["one_email", "ord_3"]]
    )
  })
})
