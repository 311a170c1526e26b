import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Metric, Ref } from "effect"
import { TestClock } from "effect/testing"
import { GuardedGateway } from "../src/GuardedGateway.ts"
import { PaymentConfig } from "../src/PaymentConfig.ts"
import { providerRetriesTotal } from "../src/PaymentMetrics.ts"
import { ProviderBreaker } from "../src/ProviderBreaker.ts"
import { ProviderDeclined, ProviderPermanent, ProviderRetryable } from "../src/ProviderError.ts"
import { backoffCeiling } from "../src/RetryPolicy.ts"
import { type Behaviour, chargeRequest, FakeCalls, FakeGatewayLayer } from "./fixtures/FakeGateway.ts"

const base = Duration.millis(100)
const cap = Duration.millis(500)
const maxRetries = 4

const Guarded = (behaviour: Behaviour) =>
  GuardedGateway.layerNoDeps.pipe(
    Layer.provideMerge(Layer.mergeAll(FakeGatewayLayer(behaviour), ProviderBreaker.layerMemory)),
    Layer.provideMerge(PaymentConfig.layerWith({
      maxRetries,
      retryBase: base,
      retryMaxDelay: cap,
      attemptTimeout: Duration.seconds(2),
      breakerFailureThreshold: 100
    }))
  )

/** Runs one charge to its end under the TestClock, moving time 1 ms at a time; returns the attempt times. */
const runCharge = Effect.gen(function*() {
  const gateway = yield* GuardedGateway
  const fiber = yield* Effect.forkChild(Effect.flip(gateway.charge(chargeRequest())))
  for (let step = 0; step < 60_000 && fiber.pollUnsafe() === undefined; step++) yield* TestClock.adjust("1 millis")
  const error = yield* Fiber.join(fiber)
  const times = yield* Ref.get((yield* FakeCalls).times)
  return { error, times }
})

const serverError: Behaviour = () =>
  Effect.fail(new ProviderRetryable({ kind: "server_error", status: 500, detail: "" }))

describe("retries to the card processor (TestClock)", () => {
  it.effect("retry n waits a uniform delay in [0, min(cap, base * 2^(n-1))]", () =>
    Effect.gen(function*() {
      const { error, times } = yield* runCharge
      assert.strictEqual(error._tag, "ProviderRetryable")
      assert.strictEqual(times.length, maxRetries + 1, "the first attempt plus every retry")
      for (let n = 1; n < times.length; n++) {
        const gap = times[n]! - times[n - 1]!
        const ceiling = Duration.toMillis(backoffCeiling(base, cap, n))
        assert.isAtLeast(gap, 0)
        assert.isAtMost(gap, ceiling, `retry ${n} waited ${gap} ms, more than ${ceiling} ms`)
      }
      const retries = yield* Metric.value(providerRetriesTotal)
      assert.strictEqual(retries.count, maxRetries)
    }).pipe(Effect.provide(Guarded(serverError)), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("the ceilings grow exponentially up to the cap", () =>
    Effect.sync(() => {
      const ceilings = [1, 2, 3, 4, 5].map((n) => Duration.toMillis(backoffCeiling(base, cap, n)))
      assert.deepStrictEqual(ceilings, [100, 200, 400, 500, 500])
    }))

  it.effect("full jitter spreads the delays: not every retry waits its ceiling", () =>
    Effect.gen(function*() {
      const gaps: Array<number> = []
      for (let run = 0; run < 5; run++) {
        const { times } = yield* runCharge.pipe(Effect.provide(Guarded(serverError)))
        for (let n = 1; n < times.length; n++) gaps.push(times[n]! - times[n - 1]!)
      }
      assert.strictEqual(gaps.length, 5 * maxRetries)
      assert.isBelow(Math.min(...gaps), 100, "some retry waited less than the first ceiling")
      assert.isAbove(new Set(gaps).size, 1)
    }))

  it.effect("a 429's Retry-After is a floor for the next delay", () =>
    Effect.gen(function*() {
      const { times } = yield* runCharge
      assert.strictEqual(times.length, maxRetries + 1)
      for (let n = 1; n < times.length; n++) assert.isAtLeast(times[n]! - times[n - 1]!, 1000)
    }).pipe(Effect.provide(Guarded(() =>
      Effect.fail(
        new ProviderRetryable({ kind: "rate_limited", status: 429, retryAfter: Duration.seconds(1), detail: "" })
      )
    ))))

  it.effect("a hung attempt times out after PROVIDER_ATTEMPT_TIMEOUT and is retried", () =>
    Effect.gen(function*() {
      const { error, times } = yield* runCharge
      assert.strictEqual(error._tag, "ProviderRetryable")
      assert.strictEqual(error._tag === "ProviderRetryable" && error.kind, "timeout")
      assert.strictEqual(times.length, maxRetries + 1)
      for (let n = 1; n < times.length; n++) assert.isAtLeast(times[n]! - times[n - 1]!, 2000)
    }).pipe(Effect.provide(Guarded(() => Effect.never))))

  it.effect("a decline is never retried: one processor call", () =>
    Effect.gen(function*() {
      const { error, times } = yield* runCharge
      assert.strictEqual(error._tag, "ProviderDeclined")
      assert.strictEqual(times.length, 1)
    }).pipe(Effect.provide(Guarded(() => Effect.fail(new ProviderDeclined({ code: "card_declined", message: "" }))))))

  it.effect("a permanent 4xx is never retried", () =>
    Effect.gen(function*() {
      const { error, times } = yield* runCharge
      assert.strictEqual(error._tag, "ProviderPermanent")
      assert.strictEqual(times.length, 1)
    }).pipe(Effect.provide(Guarded(() =>
      Effect.fail(new ProviderPermanent({ status: 400, code: "parameter_invalid", message: "" }))
    ))))

  it.effect("a retry that succeeds ends the call with the success", () =>
    Effect.gen(function*() {
      const gateway = yield* GuardedGateway
      const fiber = yield* Effect.forkChild(gateway.charge(chargeRequest()))
      for (let step = 0; step < 10_000 && fiber.pollUnsafe() === undefined; step++) yield* TestClock.adjust("1 millis")
      assert.strictEqual((yield* Fiber.join(fiber)).status, "succeeded")
      assert.strictEqual((yield* Ref.get((yield* FakeCalls).times)).length, 3)
    }).pipe(Effect.provide(Guarded((attempt) =>
      attempt < 3
        ? Effect.fail(new ProviderRetryable({ kind: "connection", detail: "socket hang up" }))
        : Effect.succeed({ id: "ch_1", status: "succeeded", amount: 1999, failureCode: undefined })
    ))))
})
