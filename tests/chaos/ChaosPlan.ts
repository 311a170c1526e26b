import type { FaultConfig } from "@shop/payment/simulator/Faults"
import { type Seeded, seeded } from "./Seeded.ts"

/** The processor faults the checker injects, one kind per phase; `none` is the calm before the storm. */
export const faultKinds = ["latency", "drop_after_charge", "hang", "errors_5xx", "rate_limit_429", "mixed"] as const
export type FaultKind = (typeof faultKinds)[number] | "none"

/** The services the checker kills with SIGKILL; the launcher restarts them. */
export const killedServices = ["order", "payment", "product"] as const
export type KilledService = (typeof killedServices)[number]

/**
 * The services whose PostgreSQL connections a distributed run cuts from the server's side (`pg_terminate_backend`),
 * the process left running: its pool must notice, fail what was in flight on them (many statements at once when
 * they are pipelined) and reconnect, without a statement's outcome being taken for another's.
 */
export const cutServices = killedServices
export type CutService = KilledService

/** How hard and how long a run shakes the platform. */
export interface ChaosProfile {
  readonly name: string
  readonly orders: number
  /** Orders arrive, faults change and services die within this window. */
  readonly loadSeconds: number
  /** Each fault phase lasts between these. */
  readonly phaseSeconds: readonly [number, number]
  /** Latency phases delay every processor request by a time drawn in this range: beyond every timeout. */
  readonly latencyMillis: readonly [number, number]
  readonly killsPerService: number
  /** How often each of `cutServices` has its database connections cut, in a distributed run. */
  readonly cutsPerService: number
  /** After the faults are cleared, how long the platform has to reach a state where every invariant holds. */
  readonly settleSeconds: number
  /** Settings of the platform under test; timings shortened so that expiries and give-ups happen within a run. */
  readonly platformEnv: Readonly<Record<string, string>>
}

/**
 * Both profiles shorten the stock reservation (so charges that outlive it, and commits after expiry, happen) and
 * lift the gateway's per-caller limits and read cache, which would otherwise throttle or stale the checker's reads.
 */
const harnessEnv = {
  CATALOG_CACHE_TTL: "0 millis",
  RATE_LIMIT_ORDER_WRITE: "100000/1m",
  RATE_LIMIT_ORDER_READ: "100000/1m",
  RATE_LIMIT_CATALOG_READ: "100000/1m",
  RATE_LIMIT_ADMIN_WRITE: "100000/1m"
}

/**
 * `npm run chaos`: hundreds of orders (about one a second), latencies up to 45 s, every other setting at its
 * default. Phases last up to 30 s, shorter when needed for every fault kind to fit in the window.
 */
export const fullProfile = (orders: number): ChaosProfile => {
  const loadSeconds = Math.max(90, Math.min(600, Math.round(orders * 0.9)))
  const longest = Math.min(30, Math.floor((loadSeconds * 0.9) / faultKinds.length))
  return {
    name: "full",
    orders,
    loadSeconds,
    phaseSeconds: [Math.round(longest * 0.6), longest],
    latencyMillis: [8_000, 45_000],
    killsPerService: 3,
    cutsPerService: 3,
    // With the defaults, an outcome still unknown when the faults end is asked about again within
    // RECONCILE_BACKOFF_CAP (5 minutes) and an orphan charge is refunded 2-3 minutes after it was made.
    settleSeconds: 420,
    platformEnv: { ...harnessEnv, ORDER_RESERVATION_TTL: "30 seconds", ORDER_RESERVATION_MARGIN: "5 seconds" }
  }
}

/**
 * The CI test: about 30 orders in under a minute of faults, every kind of fault once. Latencies are shorter, so the
 * platform's own waits are scaled down with them (how soon an unknown outcome is asked about again, the ledger
 * comparison's cadence and delay, the breakers' cool-downs, the saga's longest back-off): the same races, sooner.
 */
export const ciProfile = (orders = 30): ChaosProfile => ({
  name: "ci",
  orders,
  loadSeconds: 55,
  phaseSeconds: [6, 8],
  latencyMillis: [8_000, 20_000],
  killsPerService: 1,
  cutsPerService: 1,
  settleSeconds: 100,
  platformEnv: {
    ...harnessEnv,
    ORDER_RESERVATION_TTL: "20 seconds",
    ORDER_RESERVATION_MARGIN: "4 seconds",
    RECONCILE_INTERVAL: "2 seconds",
    RECONCILE_BACKOFF_CAP: "5 seconds",
    LEDGER_RECONCILE_INTERVAL: "5 seconds",
    LEDGER_RECONCILE_DELAY: "20 seconds",
    BREAKER_COOLDOWN: "5 seconds",
    ORDER_BREAKER_COOLDOWN: "3 seconds",
    SAGA_RETRY_CAP: "5 seconds"
  }
})

export interface PlannedProduct {
  readonly sku: string
  readonly priceCents: number
  readonly inventory: number
}

export interface PlannedLine {
  /** Index into the plan's products. */
  readonly product: number
  readonly quantity: number
}

export interface PlannedOrder {
  readonly ref: number
  /** Milliseconds after the load window opened. */
  readonly atMs: number
  /** One user per order: its mail, its rate limits and its order list are its own. */
  readonly userId: string
  readonly idempotencyKey: string
  readonly lines: ReadonlyArray<PlannedLine>
  readonly paymentMethod: string
}

export interface FaultPhase {
  readonly kind: FaultKind
  readonly startMs: number
  readonly endMs: number
  readonly faults: Partial<FaultConfig>
}

export interface PlannedKill {
  readonly atMs: number
  readonly service: KilledService
}

export interface PlannedCut {
  readonly atMs: number
  readonly service: CutService
}

/** Everything a run will do, derived from its seed alone. */
export interface ChaosPlan {
  readonly seed: number
  readonly profile: ChaosProfile
  readonly products: ReadonlyArray<PlannedProduct>
  readonly orders: ReadonlyArray<PlannedOrder>
  readonly phases: ReadonlyArray<FaultPhase>
  readonly kills: ReadonlyArray<PlannedKill>
  /** Carried out by distributed runs only: the embedded databases are not PostgreSQL servers one can cut. */
  readonly cuts: ReadonlyArray<PlannedCut>
}

const faultsOf = (kind: FaultKind, latency: readonly [number, number]): Partial<FaultConfig> => {
  switch (kind) {
    case "none":
      return {}
    case "latency":
      return { latency_ms: latency[0], latency_jitter_ms: latency[1] - latency[0] }
    case "drop_after_charge":
      return { drop_after_charge_rate: 0.6 }
    case "hang":
      return { hang_rate: 0.5 }
    case "errors_5xx":
      return { error_rate: 0.7 }
    case "rate_limit_429":
      return { rate_limit_rate: 0.6 }
    case "mixed":
      return { error_rate: 0.2, hang_rate: 0.1, drop_after_charge_rate: 0.2, rate_limit_rate: 0.2 }
  }
}

/** A calm first phase, then every fault kind in a shuffled order, again and again until the window is full. */
const planPhases = (random: Seeded, profile: ChaosProfile): Array<FaultPhase> => {
  const windowMs = profile.loadSeconds * 1000
  const duration = () => random.int(profile.phaseSeconds[0] * 1000, profile.phaseSeconds[1] * 1000)
  const phases: Array<FaultPhase> = []
  let at = Math.min(duration(), Math.round(windowMs * 0.1))
  phases.push({ kind: "none", startMs: 0, endMs: at, faults: {} })
  while (at < windowMs) {
    for (const kind of random.sample(faultKinds, faultKinds.length)) {
      if (at >= windowMs) break
      const end = Math.min(windowMs, at + duration())
      phases.push({ kind, startMs: at, endMs: end, faults: faultsOf(kind, profile.latencyMillis) })
      at = end
    }
  }
  return phases
}

/**
 * `count` moments mid-saga, one in each equal slice of the window (its first 5 % spared): a moment after an order of
 * that slice arrived, while its reservation or charge is under way.
 */
const midSagaTimes = (
  random: Seeded,
  profile: ChaosProfile,
  orders: ReadonlyArray<PlannedOrder>,
  count: number
): Array<number> => {
  const windowMs = profile.loadSeconds * 1000
  const from = windowMs * 0.05
  const slice = (windowMs * 0.9 - from) / count
  return Array.from({ length: count }, (_, i) => {
    const start = from + slice * i
    const arrivals = orders.filter((order) => order.atMs >= start && order.atMs < start + slice)
    const anchor = arrivals.length > 0 ? random.pick(arrivals).atMs : Math.round(start + random.next() * slice)
    return anchor + random.int(100, 1500)
  })
}

/** Each service dies `killsPerService` times, at mid-saga moments. */
const planKills = (random: Seeded, profile: ChaosProfile, orders: ReadonlyArray<PlannedOrder>): Array<PlannedKill> =>
  killedServices.flatMap((service) =>
    midSagaTimes(random, profile, orders, profile.killsPerService).map((atMs) => ({ service, atMs }))
  ).toSorted((a, b) => a.atMs - b.atMs)

/** Each service loses its database connections `cutsPerService` times, at mid-saga moments of their own. */
const planCuts = (random: Seeded, profile: ChaosProfile, orders: ReadonlyArray<PlannedOrder>): Array<PlannedCut> =>
  cutServices.flatMap((service) =>
    midSagaTimes(random, profile, orders, profile.cutsPerService).map((atMs) => ({ service, atMs }))
  ).toSorted((a, b) => a.atMs - b.atMs)

const paymentMethods = [
  ...Array<string>(6).fill("credit_card"),
  "pm_card_visa",
  "pm_card_mastercard",
  "pm_card_chargeDeclined",
  "pm_card_insufficientFunds"
]

/**
 * Six products: five with ample stock and a scarce one (a unit for every three orders, against a demand of two
 * thirds of a unit per order), which sells out during the run: some orders fail for stock, its count is tight.
 */
const planProducts = (random: Seeded, profile: ChaosProfile, tag: string): Array<PlannedProduct> =>
  Array.from({ length: 6 }, (_, i) => ({
    sku: `CHAOS-${tag}-${i + 1}`,
    priceCents: random.int(5, 250) * 100 + random.pick([0, 49, 99]),
    inventory: i === 0 ? Math.max(3, Math.round(profile.orders / 3)) : profile.orders * 10
  }))

/** The whole run from its seed: the same seed and profile always give the same plan. */
export const makePlan = (seed: number, profile: ChaosProfile): ChaosPlan => {
  const random = seeded(seed)
  const tag = seed.toString(36).toUpperCase()
  const products = planProducts(random, profile, tag)
  const windowMs = profile.loadSeconds * 1000
  const arrivals = Array.from({ length: profile.orders }, () => Math.round(random.next() * windowMs * 0.95))
    .toSorted((a, b) => a - b)
  const orders = arrivals.map((atMs, ref): PlannedOrder => ({
    ref,
    atMs,
    userId: `chaos_${tag}_${ref}`,
    idempotencyKey: `chaos-${tag}-${ref}`,
    lines: random.sample(products.map((_, index) => index), random.int(1, 3)).map((product) => ({
      product,
      quantity: random.int(1, 3)
    })),
    paymentMethod: random.pick(paymentMethods)
  }))
  const phases = planPhases(random, profile)
  const kills = planKills(random, profile, orders)
  // Drawn last, so that a seed's orders, phases and kills are those it had before cuts were planned.
  const cuts = planCuts(random, profile, orders)
  return { seed, profile, products, orders, phases, kills, cuts }
}

/** The fault phase in force `atMs` into the window. */
export const phaseAt = (plan: ChaosPlan, atMs: number): FaultPhase =>
  plan.phases.find((phase) => atMs >= phase.startMs && atMs < phase.endMs) ?? plan.phases.at(-1)!
