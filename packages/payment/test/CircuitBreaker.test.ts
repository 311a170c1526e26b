import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Metric, Ref } from "effect"
import { TestClock } from "effect/testing"
import { GuardedGateway } from "../src/GuardedGateway.ts"
import { PaymentConfig } from "../src/PaymentConfig.ts"
import { circuitBreakerState } from "../src/PaymentMetrics.ts"
import { ProviderBreaker, providerDependency } from "../src/ProviderBreaker.ts"
import { ProviderDeclined, ProviderRetryable } from "../src/ProviderError.ts"
import { type Behaviour, chargeRequest, FakeCalls, FakeGatewayLayer, succeed } from "./fixtures/FakeGateway.ts"

const threshold = 3
const cooldown = Duration.seconds(10)

const failing: Behaviour = () =>
  Effect.fail(new ProviderRetryable({ kind: "server_error", status: 503, detail: "down" }))
const declining: Behaviour = () => Effect.fail(new ProviderDeclined({ code: "card_declined", message: "declined" }))

const Guarded = (initial: Behaviour) =>
  GuardedGateway.layerNoDeps.pipe(
    Layer.provideMerge(Layer.mergeAll(FakeGatewayLayer(initial), ProviderBreaker.layerMemory)),
    Layer.provideMerge(PaymentConfig.layerWith({
      maxRetries: 0,
      breakerFailureThreshold: threshold,
      breakerCooldown: cooldown
    }))
  )

const charge = Effect.flatMap(GuardedGateway, (gateway) => gateway.charge(chargeRequest()))
const attempt = Effect.flip(charge).pipe(Effect.map((error) => error._tag))
const callCount = Effect.flatMap(FakeCalls, ({ times }) => Effect.map(Ref.get(times), (all) => all.length))
const state = Effect.flatMap(ProviderBreaker, ({ breaker, key }) => Effect.map(breaker.state(key), (s) => s._tag))
const setBehaviour = (behaviour: Behaviour) => Effect.flatMap(FakeCalls, (calls) => Ref.set(calls.behaviour, behaviour))
const gaugeValue = Effect.gen(function*() {
  yield* Effect.yieldNow
  yield* Effect.yieldNow
  const gauge = yield* Metric.value(Metric.withAttributes(circuitBreakerState, { dependency: providerDependency }))
  return gauge.value
})

/** Drives the breaker to Open with `threshold` failures. */
const open = Effect.gen(function*() {
  for (let i = 0; i < threshold; i++) assert.strictEqual(yield* attempt, "ProviderRetryable")
  assert.strictEqual(yield* state, "Open")
})

describe("circuit breaker around the card processor (TestClock)", () => {
  it.effect("opens exactly at the Nth consecutive failure, then rejects with zero processor calls", () =>
    Effect.gen(function*() {
      for (let i = 1; i < threshold; i++) {
        assert.strictEqual(yield* attempt, "ProviderRetryable")
        assert.strictEqual(yield* state, "Closed", `closed after ${i} failures`)
      }
      assert.strictEqual(yield* gaugeValue, 0)
      assert.strictEqual(yield* attempt, "ProviderRetryable")
      assert.strictEqual(yield* state, "Open")
      assert.strictEqual(yield* gaugeValue, 2)
      const calls = yield* callCount
      assert.strictEqual(calls, threshold)
      yield* setBehaviour(succeed())
      for (let i = 0; i < 20; i++) assert.strictEqual(yield* attempt, "ProviderUnavailable")
      assert.strictEqual(yield* callCount, calls, "no call reaches the processor while open")
    }).pipe(Effect.provide(Guarded(failing)), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("a success resets the streak: failures must be consecutive", () =>
    Effect.gen(function*() {
      for (let round = 0; round < 3; round++) {
        for (let i = 1; i < threshold; i++) yield* attempt
        yield* setBehaviour(succeed())
        yield* charge
        yield* setBehaviour(failing)
      }
      assert.strictEqual(yield* state, "Closed")
    }).pipe(Effect.provide(Guarded(failing))))

  it.effect("declines are successes for the breaker and are never retried", () =>
    Effect.gen(function*() {
      for (let i = 0; i < threshold * 3; i++) assert.strictEqual(yield* attempt, "ProviderDeclined")
      assert.strictEqual(yield* state, "Closed")
      assert.strictEqual(yield* callCount, threshold * 3, "one processor call per decline")
    }).pipe(Effect.provide(Guarded(declining))))

  it.effect("half-opens exactly after the cool-down and closes on a successful probe", () =>
    Effect.gen(function*() {
      yield* open
      yield* setBehaviour(succeed())
      const before = yield* callCount
      yield* TestClock.adjust(Duration.subtract(cooldown, Duration.millis(1)))
      assert.strictEqual(yield* attempt, "ProviderUnavailable")
      assert.strictEqual(yield* callCount, before, "still open 1 ms before the cool-down ends")
      yield* TestClock.adjust(Duration.millis(1))
      const probe = yield* charge
      assert.strictEqual(probe.status, "succeeded")
      assert.strictEqual(yield* callCount, before + 1, "exactly one probe")
      assert.strictEqual(yield* state, "Closed")
      assert.strictEqual(yield* gaugeValue, 0)
    }).pipe(Effect.provide(Guarded(failing)), Effect.provideService(Metric.MetricRegistry, new Map())))

  it.effect("reopens on a failed probe for another full cool-down", () =>
    Effect.gen(function*() {
      yield* open
      yield* TestClock.adjust(cooldown)
      const before = yield* callCount
      assert.strictEqual(yield* attempt, "ProviderRetryable")
      assert.strictEqual(yield* callCount, before + 1)
      assert.strictEqual(yield* state, "Open")
      yield* setBehaviour(succeed())
      yield* TestClock.adjust(Duration.subtract(cooldown, Duration.millis(1)))
      assert.strictEqual(yield* attempt, "ProviderUnavailable")
      assert.strictEqual(yield* callCount, before + 1)
      yield* TestClock.adjust(Duration.millis(1))
      assert.strictEqual((yield* charge).status, "succeeded")
      assert.strictEqual(yield* state, "Closed")
    }).pipe(Effect.provide(Guarded(failing))))

  it.effect("a half-open circuit lets exactly one probe through while it runs", () =>
    Effect.gen(function*() {
      yield* open
      yield* TestClock.adjust(cooldown)
      yield* setBehaviour(() => Effect.never)
      // The probe hangs until its attempt times out (2 s by default); meanwhile others are rejected.
      const probe = yield* Effect.forkChild(attempt)
      yield* Effect.yieldNow
      const before = yield* callCount
      assert.strictEqual(yield* attempt, "ProviderUnavailable")
      assert.strictEqual(yield* callCount, before)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* Fiber.join(probe), "ProviderRetryable")
      assert.strictEqual(yield* state, "Open")
    }).pipe(Effect.provide(Guarded(failing))))
})
