import { assert, describe, it } from "@effect/vitest"
import { type DomainError, InsufficientStock, ServiceUnavailable } from "@shop/domain"
import { Conflict } from "@shop/domain"
import { Duration, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { type ChargeView, PaymentClient } from "../src/clients/PaymentClient.ts"
import { ProductClient } from "../src/clients/ProductClient.ts"
import { Failpoints } from "../src/Failpoints.ts"
import { OrderConfig } from "../src/OrderConfig.ts"
import type { OrderRecord, SagaState } from "../src/SagaState.ts"
import { advance, refundKey } from "../src/SagaSteps.ts"
import { retryDelay } from "../src/SagaStore.ts"

/** Scripted peers: each call is recorded, and answers come from the functions the test sets. */
const makeFakes = () => {
  const calls: Array<string> = []
  const script = {
    reserve: (): Effect.Effect<{ expiresAt: Date }, DomainError> =>
      Effect.map(
        Effect.clockWith((clock) => clock.currentTimeMillis),
        (now) => ({ expiresAt: new Date(now + 60_000) })
      ),
    commit: (): Effect.Effect<void, DomainError> => Effect.void,
    charge: (): Effect.Effect<ChargeView, DomainError> =>
      Effect.succeed({ paymentId: "pay_1", status: "succeeded", failureReason: "" }),
    get: (): Effect.Effect<ChargeView, DomainError> =>
      Effect.succeed({ paymentId: "pay_1", status: "succeeded", failureReason: "" })
  }
  const products = ProductClient.of({
    getProduct: () => Effect.die("unused"),
    reserve: (orderId) => Effect.suspend(() => (calls.push(`reserve ${orderId}`), script.reserve())),
    commit: (orderId) => Effect.suspend(() => (calls.push(`commit ${orderId}`), script.commit())),
    release: (orderId) => Effect.sync(() => void calls.push(`release ${orderId}`))
  })
  const payments = PaymentClient.of({
    charge: (input) => Effect.suspend(() => (calls.push(`charge ${input.idempotencyKey}`), script.charge())),
    get: (id) => Effect.suspend(() => (calls.push(`get ${id}`), script.get())),
    findByOrder: () => Effect.map(script.get(), Option.some),
    refund: (id, key) => Effect.sync(() => void calls.push(`refund ${id} ${key}`))
  })
  const layer = Layer.mergeAll(
    Layer.succeed(ProductClient, products),
    Layer.succeed(PaymentClient, payments),
    Failpoints.layerNoop,
    OrderConfig.layerWith({ reservationMargin: Duration.seconds(30), maxAttempts: 3 })
  )
  return { calls, script, layer }
}

const order: OrderRecord = {
  id: "ord_1",
  userId: "user_1",
  idempotencyKey: "k",
  fingerprint: "f",
  status: "pending",
  sagaId: "saga_1",
  items: [{ productId: "prod_1", name: "P", quantity: 2, unitPriceCents: 500 }],
  totalCents: 1000,
  currency: "USD",
  paymentMethod: "card",
  shippingAddress: { street: "s", city: "c", state: "st", zip: "94102" },
  paymentStatus: "pending",
  paymentId: undefined,
  trackingNumber: undefined,
  failureReason: undefined,
  createdAt: "",
  updatedAt: "",
  confirmedAt: undefined
}

const state = (patch: Partial<SagaState>): SagaState => ({
  orderId: "ord_1",
  sagaId: "saga_1",
  step: "reserve",
  attempts: 0,
  failure: undefined,
  paymentId: undefined,
  reservationExpiresAt: undefined,
  refunded: false,
  traceparent: undefined,
  ...patch
})

describe("saga transitions", () => {
  it.effect("reserve moves on to charge with the reservation's expiry", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const t = yield* advance(state({}), order)
      assert.strictEqual(t._tag, "Next")
      assert.strictEqual(t._tag === "Next" && t.step, "charge")
      assert.strictEqual(t._tag === "Next" && t.reservationExpiresAt?.getTime(), 60_000)
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("insufficient stock compensates with the product named; outages retry, then give up", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.reserve = () =>
        Effect.fail(new InsufficientStock({ productId: "prod_1", requested: 2, available: 1 }))
      const t = yield* advance(state({}), order)
      assert.deepStrictEqual(t, {
        _tag: "Next",
        step: "release",
        failure: { reason: "insufficient_stock", detail: "insufficient_stock: prod_1" }
      })
      fakes.script.reserve = () => Effect.fail(new ServiceUnavailable({ service: "product", detail: "down" }))
      assert.strictEqual((yield* advance(state({ attempts: 0 }), order))._tag, "Retry")
      const last = yield* advance(state({ attempts: 2 }), order)
      assert.strictEqual(last._tag === "Next" && last.step, "release")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("no charge once the reservation is within the margin of its expiry", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const held = state({ step: "charge", reservationExpiresAt: new Date(60_000) })
      const ok = yield* advance(held, order)
      assert.deepStrictEqual(ok, { _tag: "Next", step: "commit", paymentId: "pay_1" })
      assert.include(fakes.calls, "charge order-charge-ord_1")
      fakes.calls.length = 0
      yield* TestClock.adjust("31 seconds")
      const late = yield* advance(held, order)
      assert.deepStrictEqual(late, {
        _tag: "Next",
        step: "release",
        failure: { reason: "timeout", detail: "reservation_expired" }
      })
      assert.deepStrictEqual(fakes.calls, [])
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a reservation ended by the product service is not charged", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.reserve = () => Effect.fail(new Conflict({ detail: "reservation expired" }))
      const t = yield* advance(state({ step: "charge", reservationExpiresAt: new Date(120_000) }), order)
      assert.strictEqual(t._tag === "Next" && t.step, "release")
      assert.isFalse(fakes.calls.some((call) => call.startsWith("charge")))
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a pending payment is awaited, then committed once it succeeds", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.charge = () => Effect.succeed({ paymentId: "pay_9", status: "pending", failureReason: "" })
      const t = yield* advance(state({ step: "charge", reservationExpiresAt: new Date(120_000) }), order)
      assert.deepStrictEqual(t, { _tag: "Next", step: "await_payment", paymentId: "pay_9" })
      fakes.script.get = () => Effect.succeed({ paymentId: "pay_9", status: "pending", failureReason: "" })
      assert.strictEqual((yield* advance(state({ step: "await_payment", paymentId: "pay_9" }), order))._tag, "Retry")
      fakes.script.get = () => Effect.succeed({ paymentId: "pay_9", status: "succeeded", failureReason: "" })
      const paid = yield* advance(state({ step: "await_payment", paymentId: "pay_9", attempts: 40 }), order)
      assert.deepStrictEqual(paid, { _tag: "Next", step: "commit", paymentId: "pay_9" })
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a failed commit after the charge refunds it, keyed by the order", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.commit = () => Effect.fail(new Conflict({ detail: "reservation expired" }))
      const t = yield* advance(state({ step: "commit", paymentId: "pay_1" }), order)
      assert.deepStrictEqual(t, {
        _tag: "Next",
        step: "refund",
        failure: { reason: "timeout", detail: "reservation_expired" }
      })
      const refunded = yield* advance(state({ step: "refund", paymentId: "pay_1" }), order)
      assert.deepStrictEqual(refunded, { _tag: "Next", step: "release", refunded: true, paymentId: "pay_1" })
      assert.include(fakes.calls, `refund pay_1 ${refundKey("ord_1")}`)
    }).pipe(Effect.provide(fakes.layer))
  })

  it("retry delays grow and stay under the cap", () => {
    const base = Duration.millis(100)
    const cap = Duration.seconds(5)
    for (let attempt = 0; attempt < 30; attempt++) {
      const delay = retryDelay(attempt, base, cap)
      assert.isAtMost(delay, 5000)
      assert.isAtLeast(delay, Math.min(5000, 100 * 2 ** attempt) / 2)
    }
  })
})
