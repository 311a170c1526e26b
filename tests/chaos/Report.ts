import type { OrderJson } from "@shop/domain"
import { DateTime } from "effect"
import { type ChaosPlan, cutServices, type FaultKind, faultKinds, killedServices, phaseAt } from "./ChaosPlan.ts"
import type { Disruption } from "./Disruptions.ts"
import { invariants, type Violation } from "./Invariants.ts"
import type { Observation } from "./Observation.ts"
import type { Placement } from "./Workload.ts"

/** One placed order as the report sees it: the fault in force when it was placed and the kills its saga lived through. */
export interface OrderScenario {
  readonly placement: Placement
  readonly fault: FaultKind
  readonly order: OrderJson | undefined
  readonly killedDuring: ReadonlyArray<string>
  readonly outcome: string
}

/** `confirmed`, `failed: <reason>` without ids or free text, `pending`, or `unplaced` (the gateway never took it). */
const outcomeOf = (order: OrderJson | undefined) => {
  if (order === undefined) return "unplaced"
  if (order.status !== "failed") return order.status
  const [kind, detail] = (order.failure_reason ?? "unknown").split(":").map((part) => part.trim())
  return kind === "payment_declined" && detail !== undefined ? `failed: ${kind}: ${detail}` : `failed: ${kind}`
}

export const scenarios = (
  plan: ChaosPlan,
  placements: ReadonlyArray<Placement>,
  disruptions: ReadonlyArray<Disruption>,
  observation: Observation,
  origin: number,
  now: number
): Array<OrderScenario> =>
  placements.map((placement) => {
    const listed = observation.ordersByUser.get(placement.planned.userId) ?? []
    const order = listed.find((o) => o.order_id === placement.orderId) ?? listed[0]
    const from = order === undefined ? placement.startedAt : DateTime.toEpochMillis(order.created_at)
    const to = order === undefined || order.status === "pending" || order.updated_at === undefined
      ? now
      : DateTime.toEpochMillis(order.updated_at)
    const killedDuring = disruptions.flatMap((d) =>
      d.type === "kill" && d.pid !== undefined && d.at >= from && d.at <= to ? [d.service] : []
    )
    return {
      placement,
      fault: phaseAt(plan, placement.startedAt - origin).kind,
      order,
      killedDuring: [...new Set(killedDuring)],
      outcome: outcomeOf(order)
    }
  })

const table = (rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  return rows.map((row) =>
    row.map((cell, c) => c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)).join("  ")
  )
}

const money = (cents: number) => (cents / 100).toFixed(2)

const shortName: Record<FaultKind, string> = {
  none: "none",
  latency: "latency",
  drop_after_charge: "drop",
  hang: "hang",
  errors_5xx: "5xx",
  rate_limit_429: "429",
  mixed: "mixed"
}

/** The printed report: counts per fault and per outcome, what was done to the platform, and every violation. */
export const report = (
  all: ReadonlyArray<OrderScenario>,
  disruptions: ReadonlyArray<Disruption>,
  observation: Observation,
  violations: ReadonlyArray<Violation>,
  checkedAfterSeconds: number
): Array<string> => {
  const outcomes = [...new Set(all.map((s) => s.outcome))].toSorted()
  const violating = new Set(violations.map((v) => v.subject))
  const columns: ReadonlyArray<readonly [string, ReadonlyArray<OrderScenario>]> = [
    ...(["none", ...faultKinds] as const).map((kind) =>
      [shortName[kind], all.filter((s) => s.fault === kind)] as const
    ),
    ["total", all],
    ...killedServices.map((service) =>
      [`kill ${service}`, all.filter((s) => s.killedDuring.includes(service))] as const
    )
  ]
  const row = (label: string, count: (group: ReadonlyArray<OrderScenario>) => number) => [
    label,
    ...columns.map(([, group]) => String(count(group)))
  ]
  const counts = table([
    ["orders placed under fault / whose saga saw a kill -9", ...columns.map(([name]) => name)],
    row("orders", (group) => group.length),
    ...outcomes.map((outcome) => row(outcome, (group) => group.filter((s) => s.outcome === outcome).length)),
    row("violating", (group) => group.filter((s) => s.order !== undefined && violating.has(s.order.order_id)).length)
  ])
  const kills = killedServices.map((service) => {
    const done = disruptions.filter((d) => d.type === "kill" && d.service === service)
    const skipped = done.filter((d) => d.type === "kill" && d.pid === undefined).length
    return `${service} ${done.length - skipped}${skipped > 0 ? ` (+${skipped} skipped: down)` : ""}`
  })
  const cuts = cutServices.map((service) => {
    const done = disruptions.flatMap((d) => d.type === "cut" && d.service === service ? [d.connections] : [])
    const connections = done.reduce((sum, n) => sum + n, 0)
    return `${service} ${done.length} (${connections} connection${connections === 1 ? "" : "s"})`
  })
  const anyCut = disruptions.some((d) => d.type === "cut")
  const { charges, refunds } = observation.ledger
  const succeeded = charges.filter((c) => c.status === "succeeded")
  const scenarioOf = new Map<string, OrderScenario>(
    all.flatMap((s) => s.order === undefined ? [] : [[s.order.order_id, s] as const])
  )
  return [
    ...counts,
    `kills: ${kills.join(", ")}`,
    ...(anyCut ? [`database connections cut: ${cuts.join(", ")}`] : []),
    `processor: ${succeeded.length} succeeded charges (${money(succeeded.reduce((s, c) => s + c.amount, 0))}), ${
      charges.length - succeeded.length
    } declined, ${refunds.length} refunds (${
      money(refunds.reduce((s, r) => s + r.amount, 0))
    }); ${observation.mails.length} mails`,
    `final check ${checkedAfterSeconds} s after the faults were cleared`,
    ...all.filter((s) => s.order === undefined).map((s) =>
      `unplaced: ${s.placement.planned.idempotencyKey} after ${s.placement.attempts} attempts: ${
        s.placement.lastRefusal ?? "no answer"
      }`
    ),
    `violations: ${violations.length}`,
    ...violations.map((v) => {
      const scenario = scenarioOf.get(v.subject)
      const context = scenario === undefined
        ? ""
        : ` [placed under ${scenario.fault}${
          scenario.killedDuring.length > 0 ? `; killed mid-saga: ${scenario.killedDuring.join(", ")}` : ""
        }]`
      return `  ${v.invariant} ${v.subject}${context}: ${v.evidence}\n    (${invariants[v.invariant]})`
    })
  ]
}
