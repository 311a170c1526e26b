import type { ProductId } from "@shop/domain"
import type { SharedServersRun } from "@shop/service-defaults/testing/SharedServers"
import { type ChaosPlan, type ChaosProfile, makePlan } from "./ChaosPlan.ts"
import { type Disruption, runDisruptions } from "./Disruptions.ts"
import { check, type Violation } from "./Invariants.ts"
import { type Observation, observe } from "./Observation.ts"
import { type Platform, startPlatform } from "./Platform.ts"
import { processor } from "./Processor.ts"
import { type OrderScenario, report, scenarios } from "./Report.ts"
import { shop, tokenIssuer } from "./Shop.ts"
import { type Placement, runWorkload } from "./Workload.ts"

export interface ChaosOptions {
  readonly seed: number
  readonly profile: ChaosProfile
  /** PORT_OFFSET of the platform under test. */
  readonly offset: number
  /** Progress lines (the report itself is in the result). */
  readonly log: (line: string) => void
  /** Keeps the data folder and its `platform.log` when a violation is found. */
  readonly keepDataOnViolation?: boolean
  /**
   * Runs the platform distributed, on the machine's PostgreSQL and Redis (databases and keys of its own, dropped
   * afterwards), where its connections, locks and batches are those of production; embedded otherwise.
   */
  readonly servers?: SharedServersRun | undefined
}

export interface ChaosResult {
  readonly plan: ChaosPlan
  readonly placements: ReadonlyArray<Placement>
  readonly disruptions: ReadonlyArray<Disruption>
  readonly scenarios: ReadonlyArray<OrderScenario>
  readonly violations: ReadonlyArray<Violation>
  /** The printed report. */
  readonly report: ReadonlyArray<string>
  /** Where the platform's data and logs were kept, when they were. */
  readonly keptData: string | undefined
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const retrying = async <A>(what: string, attempt: () => Promise<A>, tries = 10): Promise<A> => {
  for (let i = 1;; i++) {
    try {
      return await attempt()
    } catch (error) {
      if (i >= tries) throw new Error(`${what}: ${String(error)}`, { cause: error })
      await sleep(1000)
    }
  }
}

/**
 * Waits until every invariant holds on two observations 5 s apart, or until `deadline`; returns the last
 * observation and its violations. Nothing is checked before `notBefore`: a request delayed by an injected latency
 * may still move money until then.
 */
const settle = async (
  read: () => Promise<Observation>,
  placements: ReadonlyArray<Placement>,
  notBefore: number,
  deadline: number,
  log: (line: string) => void
) => {
  await sleep(Math.max(0, notBefore - Date.now()))
  const records = placements.map((p) => ({ userId: p.planned.userId, orderId: p.orderId }))
  let last: { observation: Observation; violations: Array<Violation> } | undefined
  let clean = 0
  let lastLog = 0
  for (;;) {
    try {
      const observation = await read()
      const violations = check(observation, records)
      last = { observation, violations }
      clean = violations.length === 0 ? clean + 1 : 0
      if (clean >= 2) return last
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now()
        const pending = [...observation.ordersByUser.values()].flat().filter((o) => o.status === "pending").length
        log(`settling: ${pending} order(s) pending, ${violations.length} violation(s) so far`)
      }
    } catch (error) {
      log(`settling: observation failed (${String(error).slice(0, 200)}); trying again`)
    }
    if (Date.now() >= deadline) {
      if (last === undefined) throw new Error("the platform never answered the checker's reads")
      return last
    }
    await sleep(clean > 0 ? 5_000 : 3_000)
  }
}

/** Starts a fresh platform, places the plan's orders under its faults and kills, lets it settle, checks it. */
export const runChaos = async (options: ChaosOptions): Promise<ChaosResult> => {
  const { log, profile } = options
  const plan = makePlan(options.seed, profile)
  const env = { ...profile.platformEnv, SIMULATOR_SEED: String(options.seed) }
  log(
    `seed ${plan.seed}, profile ${profile.name}: ${plan.orders.length} orders over ${profile.loadSeconds} s, ${
      plan.phases.length - 1
    } fault phases, ${plan.kills.length} kills, settle bound ${profile.settleSeconds} s`
  )
  log(`platform settings: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`)
  const platform: Platform = await startPlatform(options.offset, env, { servers: options.servers })
  log(
    `platform up, ${options.servers === undefined ? "embedded" : "distributed"}, on PORT_OFFSET ${options.offset} ` +
      `(data and logs: ${platform.storage})`
  )
  const interrupted = () => void platform.stop().finally(() => process.exit(130))
  process.once("SIGINT", interrupted)
  process.once("SIGTERM", interrupted)
  let keepData = false
  try {
    const tokens = await tokenIssuer()
    const client = shop(platform.gateway, platform.notifications, tokens)
    const card = processor(platform.simulator)
    const productIds: Array<ProductId> = []
    for (const [i, product] of plan.products.entries()) {
      const created = await retrying(`create ${product.sku}`, () =>
        client.createProduct({
          name: `Chaos item ${i + 1}`,
          price: product.priceCents / 100,
          sku: product.sku,
          inventory: product.inventory,
          category: "Chaos"
        }))
      productIds.push(created.id)
    }

    const origin = Date.now() + 500
    const patienceMs = Math.min(120, profile.loadSeconds) * 1000
    const [placements, disruptions] = await Promise.all([
      runWorkload(client, plan, productIds, origin, patienceMs),
      runDisruptions(plan, platform, card, origin, log)
    ])
    const cleared = disruptions.at(-1)!.at
    const placed = placements.filter((p) => p.orderId !== undefined).length
    log(`${placed}/${placements.length} orders placed; waiting for the platform to settle`)

    const read = () => observe(client, card.ledger, plan, productIds)
    const settled = await settle(
      read,
      placements,
      cleared + profile.latencyMillis[1] + 2_000,
      cleared + profile.settleSeconds * 1000,
      log
    )
    const { violations } = settled
    keepData = violations.length > 0 && options.keepDataOnViolation === true
    const checkedAfter = Math.round((Date.now() - cleared) / 1000)
    const all = scenarios(plan, placements, disruptions, settled.observation, origin, Date.now())
    const lines = report(all, disruptions, settled.observation, violations, checkedAfter)
    return {
      plan,
      placements,
      disruptions,
      scenarios: all,
      violations,
      report: lines,
      keptData: keepData ? platform.storage : undefined
    }
  } catch (error) {
    keepData = options.keepDataOnViolation === true
    throw new Error(`${String(error)}\n(platform data and logs: ${keepData ? platform.storage : "removed"})`, {
      cause: error
    })
  } finally {
    process.off("SIGINT", interrupted)
    process.off("SIGTERM", interrupted)
    await platform.stop({ keepData })
  }
}
