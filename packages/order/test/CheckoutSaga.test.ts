import { assert, describe, it } from "@effect/vitest"
import {
  Cents,
  DeadlineExceeded,
  DefaultCurrency,
  IdempotencyKey,
  InsufficientStock,
  Order,
  OrderId,
  OrderLine,
  Payment,
  PaymentId,
  type PaymentStatus,
  ProductId,
  SagaId,
  ServiceUnavailable,
  ShippingAddress,
  UserId
} from "@shop/domain"
import * as Backoff from "@shop/service-defaults/resilience/Backoff"
import { DateTime, Duration, Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { CheckoutSaga } from "../src/CheckoutSaga.ts"
import { PaymentClient } from "../src/clients/PaymentClient.ts"
import { type HeldReservation, ProductClient, ReservationGone } from "../src/clients/ProductClient.ts"
import { OrderConfig } from "../src/OrderConfig.ts"
import { type Decision, settle } from "../src/saga/Saga.ts"
import { type ActiveStep, SagaState } from "../src/saga/SagaState.ts"

const epoch = DateTime.makeUnsafe(0)

const payment = (id: string, status: PaymentStatus, failureReason?: string) =>
  new Payment({
    id: PaymentId.make(id),
    orderId: OrderId.make("ord_1"),
    amountCents: Cents.make(1000),
    currency: DefaultCurrency,
    method: "credit_card",
    status,
    idempotencyKey: IdempotencyKey.make("order-charge-ord_1"),
    ...(failureReason === undefined ? {} : { failureReason }),
    createdAt: epoch,
    updatedAt: epoch
  })

/** Scripted peers: each call is recorded, and answers come from the functions the test sets. */
const makeFakes = () => {
  const calls: Array<string> = []
  const script = {
    reserve: (): Effect.Effect<HeldReservation, InsufficientStock | ReservationGone | ServiceUnavailable> =>
      Effect.map(
        DateTime.now,
        (now) => ({ expiresAt: DateTime.add(now, { seconds: 60 }), committed: false, lines: [] })
      ),
    commit: (): Effect.Effect<void, ReservationGone | ServiceUnavailable> => Effect.void,
    charge: (): Effect.Effect<Payment, ServiceUnavailable | DeadlineExceeded> =>
      Effect.succeed(payment("pay_1", "succeeded")),
    get: (): Effect.Effect<Payment, ServiceUnavailable> => Effect.succeed(payment("pay_1", "succeeded"))
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
    refund: (id, key) => Effect.sync(() => (calls.push(`refund ${id} ${key}`), payment(id, "refunded"))),
    cancel: (request) =>
      Effect.sync(() => {
        calls.push(`cancel ${request.orderId}`)
        return { payment: payment("pay_1", "refunded"), settled: true }
      })
  })
  const layer = CheckoutSaga.layer.pipe(Layer.provide(Layer.mergeAll(
    Layer.succeed(ProductClient, products),
    Layer.succeed(PaymentClient, payments),
    OrderConfig.layerWith({ reservationMargin: Duration.seconds(30), maxAttempts: 3 })
  )))
  return { calls, script, layer }
}

const order = new Order({
  id: OrderId.make("ord_1"),
  userId: UserId.make("user_1"),
  status: "pending",
  items: [new OrderLine({ productId: ProductId.make("prod_1"), name: "P", quantity: 2, unitPrice: Cents.make(500) })],
  totalCents: Cents.make(1000),
  currency: DefaultCurrency,
  paymentMethod: "credit_card",
  shippingAddress: new ShippingAddress({ street: "s", city: "c", state: "st", zip: "94102" }),
  idempotencyKey: IdempotencyKey.make("k"),
  sagaId: SagaId.make("saga_1"),
  createdAt: epoch,
  updatedAt: epoch
})

const state = (patch: Partial<ConstructorParameters<typeof SagaState>[0]>) =>
  new SagaState({
    orderId: OrderId.make("ord_1"),
    sagaId: SagaId.make("saga_1"),
    step: "reserve",
    attempts: 0,
    refunded: false,
    ...patch
  })

/** Runs the step the saga is at. */
const run = (saga: SagaState, previous?: ActiveStep) =>
  Effect.gen(function*() {
    const steps = yield* CheckoutSaga
    if (saga.step === "confirmed" || saga.step === "failed") return yield* Effect.die("terminal")
    return yield* steps[saga.step](saga, order, { previous, afterSuccess: Effect.void })
  })

const at = (seconds: number) => DateTime.makeUnsafe(seconds * 1000)

/** The step and facts of an `Advance` or a `Proceed`, for comparisons. */
const moved = (decision: Decision): Record<string, unknown> => {
  if (decision._tag !== "Advance" && decision._tag !== "Proceed") return { tag: decision._tag }
  const { failure, ...facts } = decision.facts
  return { step: decision.step, ...facts, ...(failure === undefined ? {} : { failure: { ...failure } }) }
}

describe("checkout saga steps", () => {
  it.effect("reserve moves on to charge with the reservation's expiry", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const decision = yield* run(state({}))
      assert.strictEqual(decision._tag, "Advance")
      assert.strictEqual(decision._tag === "Advance" && decision.step, "charge")
      const expiresAt = decision._tag === "Advance" ? decision.facts.reservationExpiresAt : undefined
      assert.strictEqual(expiresAt === undefined ? undefined : DateTime.toEpochMillis(expiresAt), 60_000)
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("insufficient stock compensates with the product named; outages retry, then give up", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.reserve = () =>
        Effect.fail(new InsufficientStock({ productId: "prod_1", requested: 2, available: 1 }))
      const decision = yield* run(state({}))
      assert.deepStrictEqual(moved(decision), {
        step: "release",
        failure: { reason: "insufficient_stock", detail: "insufficient_stock: prod_1" }
      })
      fakes.script.reserve = () => Effect.fail(new ServiceUnavailable({ service: "product", detail: "down" }))
      assert.strictEqual(settle(yield* run(state({ attempts: 0 })), 0, 3)._tag, "Retry")
      const last = settle(yield* run(state({ attempts: 2 })), 2, 3)
      assert.strictEqual(last._tag === "Advance" && last.step, "release")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("no charge once the reservation is within the margin of its expiry; the payment is settled first", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const held = state({ step: "charge", reservationExpiresAt: at(60) })
      assert.deepStrictEqual(moved(yield* run(held)), { step: "commit", paymentId: "pay_1" })
      assert.include(fakes.calls, "charge order-charge-ord_1")
      fakes.calls.length = 0
      yield* TestClock.adjust("31 seconds")
      // An earlier attempt may have sent a charge: the order goes through the refund step, never straight to release.
      assert.deepStrictEqual(moved(yield* run(held)), {
        step: "refund",
        failure: { reason: "timeout", detail: "reservation_expired" }
      })
      // the product service is asked (the stock could be committed already), the processor is not
      assert.deepStrictEqual(fakes.calls, ["reserve ord_1"])
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("right after the reserve step the reservation is not asked for again; a state read back is", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const held = state({ step: "charge", reservationExpiresAt: at(60) })
      assert.deepStrictEqual(moved(yield* run(held, "reserve")), { step: "commit", paymentId: "pay_1" })
      assert.deepStrictEqual(fakes.calls, ["charge order-charge-ord_1"])
      fakes.calls.length = 0
      // The way back from await_payment, a retry or a resumed saga: the product service answers for the stock first.
      for (const previous of ["await_payment", undefined] as const) {
        assert.deepStrictEqual(moved(yield* run(held, previous)), { step: "commit", paymentId: "pay_1" })
        assert.deepStrictEqual(fakes.calls, ["reserve ord_1", "charge order-charge-ord_1"])
        fakes.calls.length = 0
      }
      // Even right after reserving, a reservation within the margin of its expiry is not charged.
      yield* TestClock.adjust("31 seconds")
      assert.strictEqual(moved(yield* run(held, "reserve")).step, "refund")
      assert.deepStrictEqual(fakes.calls, [])
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a successful charge moves on to the commit without a stored move", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      const decision = yield* run(state({ step: "charge", reservationExpiresAt: at(60) }), "reserve")
      assert.strictEqual(decision._tag, "Proceed")
      assert.strictEqual(decision._tag === "Proceed" && decision.order?.paymentId, PaymentId.make("pay_1"))
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a saga resumed at the charge whose stock was committed confirms, however late: the charge succeeded", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      // A process died after the commit, before storing the confirmation: the stored state is still the charge's.
      fakes.script.reserve = () =>
        Effect.map(
          DateTime.now,
          (now) => ({ expiresAt: DateTime.add(now, { seconds: -5 }), committed: true, lines: [] })
        )
      const resumed = state({ step: "charge", reservationExpiresAt: at(60) })
      yield* TestClock.adjust("10 minutes") // long past the reservation's expiry
      const decision = yield* run(resumed)
      assert.deepStrictEqual(moved(decision), { step: "commit", paymentId: "pay_1" })
      assert.deepStrictEqual(fakes.calls, ["reserve ord_1", "charge order-charge-ord_1"])
      // the commit (a replay on the product service) then confirms the order
      const confirmed = yield* run(resumed.advance("commit", { paymentId: PaymentId.make("pay_1") }))
      assert.strictEqual(confirmed._tag === "Finish" && confirmed.step, "confirmed")
      assert.notInclude(fakes.calls, "cancel ord_1")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a reservation ended by the product service is not charged; the payment is settled first", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.reserve = () => Effect.fail(new ReservationGone({ detail: "reservation expired" }))
      const decision = yield* run(state({ step: "charge", reservationExpiresAt: at(120) }))
      assert.strictEqual(decision._tag === "Advance" && decision.step, "refund")
      assert.isFalse(fakes.calls.some((call) => call.startsWith("charge")))
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a charge past its deadline is waited for, never failed: its outcome is unknown", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.charge = () => Effect.fail(new DeadlineExceeded({ service: "payment" }))
      const decision = settle(yield* run(state({ step: "charge", reservationExpiresAt: at(120), attempts: 11 })), 11, 3)
      assert.deepStrictEqual(moved(decision), { step: "await_payment" })
      fakes.script.get = () => Effect.succeed(payment("pay_9", "pending_unknown"))
      assert.strictEqual((yield* run(state({ step: "await_payment" })))._tag, "Retry")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a partially refunded payment is not a success: the rest is refunded and the order fails", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.get = () =>
        Effect.succeed(new Payment({ ...payment("pay_2", "succeeded"), refundedCents: Cents.make(300) }))
      const decision = yield* run(state({ step: "await_payment", paymentId: PaymentId.make("pay_2") }))
      assert.strictEqual(decision._tag === "Advance" && decision.step, "refund")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a pending payment is awaited, then committed once it succeeds", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.charge = () => Effect.succeed(payment("pay_9", "pending_unknown"))
      const charged = yield* run(state({ step: "charge", reservationExpiresAt: at(120) }))
      assert.deepStrictEqual(moved(charged), { step: "await_payment", paymentId: "pay_9" })
      fakes.script.get = () => Effect.succeed(payment("pay_9", "pending"))
      const awaiting = state({ step: "await_payment", paymentId: PaymentId.make("pay_9") })
      assert.strictEqual((yield* run(awaiting))._tag, "Retry")
      fakes.script.get = () => Effect.succeed(payment("pay_9", "succeeded"))
      const paid = yield* run(state({ step: "await_payment", paymentId: PaymentId.make("pay_9"), attempts: 40 }))
      assert.deepStrictEqual(moved(paid), { step: "commit", paymentId: "pay_9" })
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("a failed commit after the charge settles the payment with the payment service, keyed by the order", () => {
    const fakes = makeFakes()
    return Effect.gen(function*() {
      fakes.script.commit = () => Effect.fail(new ReservationGone({ detail: "reservation expired" }))
      const committed = yield* run(state({ step: "commit", paymentId: PaymentId.make("pay_1") }))
      assert.deepStrictEqual(moved(committed), {
        step: "refund",
        failure: { reason: "timeout", detail: "reservation_expired" }
      })
      const refunded = yield* run(state({ step: "refund", paymentId: PaymentId.make("pay_1") }))
      assert.deepStrictEqual(moved(refunded), { step: "release", refunded: true })
      assert.include(fakes.calls, "cancel ord_1")
    }).pipe(Effect.provide(fakes.layer))
  })

  it.effect("retry delays grow and stay under the cap", () =>
    Effect.gen(function*() {
      const backoff: Backoff.Backoff = { base: Duration.millis(100), cap: Duration.seconds(5), jitter: "equal" }
      for (let attempt = 0; attempt < 30; attempt++) {
        const delay = Duration.toMillis(yield* Backoff.delay(backoff, attempt + 1))
        assert.isAtMost(delay, 5000)
        assert.isAtLeast(delay, Math.min(5000, 100 * 2 ** attempt) / 2)
      }
    }))
})
