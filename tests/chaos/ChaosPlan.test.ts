import { assert, describe, it } from "@effect/vitest"
import {
  type ChaosProfile,
  ciProfile,
  cutServices,
  faultKinds,
  fullProfile,
  killedServices,
  makePlan,
  phaseAt
} from "./ChaosPlan.ts"

describe("chaos plan", () => {
  it("is the same for the same seed, and another for another seed", () => {
    assert.deepStrictEqual(makePlan(7, fullProfile(200)), makePlan(7, fullProfile(200)))
    assert.notDeepEqual(makePlan(7, fullProfile(200)).orders, makePlan(8, fullProfile(200)).orders)
  })

  const profiles: ReadonlyArray<ChaosProfile> = [ciProfile(), fullProfile(200), fullProfile(20), fullProfile(1000)]
  for (const profile of profiles) {
    it(`${profile.name} (${profile.orders} orders): every fault kind and every kill falls within the load window, phases back to back`, () => {
      for (const seed of [1, 2, 3, 42, 1313, 99_999]) {
        const plan = makePlan(seed, profile)
        const windowMs = profile.loadSeconds * 1000
        assert.strictEqual(plan.orders.length, profile.orders)
        assert.isTrue(plan.orders.every((order) => order.atMs >= 0 && order.atMs < windowMs))
        assert.strictEqual(plan.phases[0]!.kind, "none")
        plan.phases.slice(1).forEach((phase, i) => assert.strictEqual(phase.startMs, plan.phases[i]!.endMs))
        assert.strictEqual(plan.phases.at(-1)!.endMs, windowMs)
        const kinds = new Set(plan.phases.map((phase) => phase.kind))
        for (const kind of faultKinds) assert.isTrue(kinds.has(kind), `seed ${seed}: no ${kind} phase`)
        for (const service of killedServices) {
          const kills = plan.kills.filter((kill) => kill.service === service)
          assert.strictEqual(kills.length, profile.killsPerService)
          assert.isTrue(kills.every((kill) => kill.atMs > 0 && kill.atMs < windowMs))
        }
        for (const service of cutServices) {
          const cuts = plan.cuts.filter((cut) => cut.service === service)
          assert.strictEqual(cuts.length, profile.cutsPerService)
          assert.isTrue(cuts.every((cut) => cut.atMs > 0 && cut.atMs < windowMs))
        }
        assert.strictEqual(phaseAt(plan, 0).kind, "none")
      }
    })
  }

  it("draws the cuts after everything else: a seed plays the orders, phases and kills it played before cuts", () => {
    const plan = makePlan(1313, ciProfile())
    const { cuts: _cuts, ...rest } = plan
    const withoutCuts = makePlan(1313, { ...ciProfile(), cutsPerService: 0 })
    assert.deepStrictEqual(withoutCuts.cuts, [])
    assert.deepStrictEqual({ ...withoutCuts, profile: rest.profile, cuts: undefined }, { ...rest, cuts: undefined })
  })

  it("puts the latency of latency phases beyond the payment service's timeouts", () => {
    const latency = makePlan(1, fullProfile(200)).phases.find((phase) => phase.kind === "latency")!
    assert.strictEqual(latency.faults.latency_ms, 8_000)
    assert.strictEqual(latency.faults.latency_jitter_ms, 37_000)
  })
})
