import { assert, describe, it } from "@effect/vitest"
import { OrderJson } from "@shop/domain"
import { Schema } from "effect"
import { ciProfile, makePlan } from "./ChaosPlan.ts"
import type { Disruption } from "./Disruptions.ts"
import type { Observation } from "./Observation.ts"
import { report, scenarios } from "./Report.ts"
import type { Placement } from "./Workload.ts"

const origin = Date.parse("2025-01-01T00:00:00Z")
const at = (seconds: number) => new Date(origin + seconds * 1000).toISOString()

const order = (id: string, user: string, status: string, from: number, to: number, reason?: string) =>
  Schema.decodeUnknownSync(OrderJson)({
    order_id: id,
    user_id: user,
    status,
    items: [{ product_id: "prod_a", name: "A", quantity: 1, unit_price: 10, line_total: 10 }],
    total_amount: 10,
    payment_status: status === "confirmed" ? "completed" : "failed",
    created_at: at(from),
    updated_at: at(to),
    ...(reason === undefined ? {} : { failure_reason: reason })
  })

describe("chaos report", () => {
  it("counts orders per fault in force when placed, per kill their saga lived through, and per outcome", () => {
    const plan = makePlan(5, ciProfile(3))
    const [first, second, third] = plan.orders
    const placement = (planned: typeof first, orderId: string | undefined): Placement => ({
      planned: planned!,
      startedAt: origin + planned!.atMs,
      orderId,
      attempts: orderId === undefined ? 9 : 1,
      lastRefusal: orderId === undefined ? "HTTP 503" : undefined
    })
    const placements = [placement(first, "ord_1"), placement(second, "ord_2"), placement(third, undefined)]
    const start = (p: Placement) => (p.startedAt - origin) / 1000
    const observation: Observation = {
      ordersByUser: new Map([
        [first!.userId, [order("ord_1", first!.userId, "confirmed", start(placements[0]!), start(placements[0]!) + 2)]],
        [second!.userId, [
          order(
            "ord_2",
            second!.userId,
            "failed",
            start(placements[1]!),
            start(placements[1]!) + 30,
            "payment_declined: not_processed"
          )
        ]],
        [third!.userId, []]
      ]),
      ledger: { charges: [], refunds: [] },
      stock: [],
      mails: []
    }
    // A kill of payment during the second order's saga only; a kill skipped because order was already down.
    const disruptions: Array<Disruption> = [
      { at: placements[1]!.startedAt + 10_000, type: "kill", service: "payment", pid: 42 },
      { at: placements[1]!.startedAt + 11_000, type: "kill", service: "order", pid: undefined }
    ]
    const all = scenarios(plan, placements, disruptions, observation, origin, origin + 120_000)
    assert.deepStrictEqual(all.map((s) => s.outcome), [
      "confirmed",
      "failed: payment_declined: not_processed",
      "unplaced"
    ])
    assert.deepStrictEqual(all.map((s) => s.killedDuring), [[], ["payment"], []])

    const lines = report(all, disruptions, observation, [], 30)
    const cells = (label: string) => lines.find((line) => line.startsWith(`${label}  `))!.split(/\s{2,}/).slice(1)
    const header = lines[0]!.split(/\s{2,}/).slice(1)
    const column = (name: string) => header.indexOf(name)
    assert.strictEqual(cells("orders")[column("total")], "3")
    assert.strictEqual(cells("failed: payment_declined: not_processed")[column("kill payment")], "1")
    assert.strictEqual(cells("orders")[column("kill order")], "0")
    assert.strictEqual(cells("unplaced")[column("total")], "1")
    assert.include(lines, "kills: order 0 (+1 skipped: down), payment 1, product 0")
    // An embedded run cuts no connection, and says nothing of cuts.
    assert.isFalse(lines.some((line) => line.startsWith("database connections cut")))
    assert.isTrue(lines.some((line) => line.includes(`unplaced: ${third!.idempotencyKey} after 9 attempts: HTTP 503`)))
  })

  it("counts the database connections cut per service in a distributed run", () => {
    const plan = makePlan(5, ciProfile(3))
    const observation: Observation = {
      ordersByUser: new Map(),
      ledger: { charges: [], refunds: [] },
      stock: [],
      mails: []
    }
    const disruptions: Array<Disruption> = [
      { at: origin + 1_000, type: "cut", service: "product", connections: 4 },
      { at: origin + 2_000, type: "cut", service: "order", connections: 3 },
      { at: origin + 3_000, type: "cut", service: "product", connections: 0 }
    ]
    const lines = report(
      scenarios(plan, [], disruptions, observation, origin, origin + 5_000),
      disruptions,
      observation,
      [],
      30
    )
    assert.include(
      lines,
      "database connections cut: order 1 (3 connections), payment 0 (0 connections), product 2 (4 connections)"
    )
  })
})
