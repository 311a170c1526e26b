import { assert, layer } from "@effect/vitest"
import { Cents, Currency, OrderId, OrderLine, PaymentId, ProductId, SagaId, stampEvent } from "@shop/domain"
import { OutboxWakeUp } from "@shop/service-defaults/events/OutboxWakeUp"
import { TestDatabaseLive } from "@shop/service-defaults/testing/TestDatabase"
import { DateTime, Duration, Effect, Layer, Option } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { decodeCreateRequest } from "../src/grpc/OrderCodec.ts"
import { migrations } from "../src/migrations/index.ts"
import { oneStatement } from "../src/OneStatement.ts"
import { OrderConfig } from "../src/OrderConfig.ts"
import { OrderRepo } from "../src/OrderRepo.ts"
import * as OrderTransitions from "../src/OrderTransitions.ts"
import { SagaFailure, SagaState } from "../src/saga/SagaState.ts"
import { SagaStore } from "../src/saga/SagaStore.ts"
import { fastSaga } from "./fixtures/Harness.ts"

const Store = Layer.mergeAll(SagaStore.layer, OrderRepo.layer).pipe(
  Layer.provideMerge(OrderRepo.layer),
  Layer.provide(OrderConfig.layerWith(fastSaga)),
  Layer.provideMerge(OutboxWakeUp.layer),
  Layer.provideMerge(
    Layer.effectDiscard(Migrator.make({})({ loader: Migrator.fromRecord(migrations) })).pipe(
      Layer.provideMerge(TestDatabaseLive("saga_store"))
    )
  )
)

/** A pending order and its saga at `step` (with what the placement learned), stored as the create path does. */
const storedOrder = (step: SagaState["step"], facts: Partial<SagaState> = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const repo = yield* OrderRepo
    const sagas = yield* SagaStore
    const request = yield* decodeCreateRequest({
      userId: `user_${Date.now().toString(36)}`,
      items: [{ productId: "prod_guard1", quantity: 1 }],
      shippingAddress: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
      paymentMethod: "pm_card_visa",
      idempotencyKey: `key_${(yield* OrderId.generate).slice(4)}`,
      email: "",
      phone: ""
    }).pipe(Effect.orDie)
    const ids = { orderId: yield* OrderId.generate, sagaId: yield* SagaId.generate }
    const line = new OrderLine({
      productId: ProductId.make("prod_guard1"),
      name: "Guard",
      quantity: 1,
      unitPrice: Cents.make(500)
    })
    const priced = { lines: [line], totalCents: Cents.make(500), currency: Currency.make("USD") }
    const placed = OrderTransitions.place(request, priced, ids, yield* stampEvent())
    const saga = new SagaState({
      orderId: ids.orderId,
      sagaId: ids.sagaId,
      step,
      attempts: 0,
      refunded: false,
      ...facts
    })
    yield* oneStatement(sql, [...repo.insertStatements(placed.order, "digest"), sagas.insertStatement(saga)])
    return { order: placed.order, saga }
  })

const outboxOf = (orderId: string) =>
  SqlClient.SqlClient.use((sql) =>
    sql<{ readonly type: string }>`SELECT type FROM outbox WHERE aggregate_id = ${orderId} ORDER BY seq`
  ).pipe(Effect.map((rows) => rows.map((row) => row.type)), Effect.orDie)

const stored = (orderId: OrderId) =>
  Effect.flatMap(OrderRepo.use((repo) => repo.findById(orderId)), (found) => Effect.succeed(Option.getOrThrow(found)))

layer(Store, { timeout: 60_000 })(
  "SagaStore: a decision is written whole, and only by the runner it was made for",
  (it) => {
    it.effect("a saga placed past its reserve step is stored with everything it learned", () =>
      Effect.gen(function*() {
        const sagas = yield* SagaStore
        const reservationExpiresAt = DateTime.makeUnsafe("2026-12-03T12:40:00.123Z")
        const { saga } = yield* storedOrder("charge", {
          reservationExpiresAt,
          traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        })
        const found = Option.getOrThrow(yield* sagas.find(saga.orderId).pipe(Effect.orDie))
        assert.strictEqual(found.step, "charge")
        assert.strictEqual(
          DateTime.toEpochMillis(found.reservationExpiresAt!),
          DateTime.toEpochMillis(reservationExpiresAt)
        )
        assert.strictEqual(found.traceparent, saga.traceparent)
        const failed = yield* storedOrder("release", {
          failure: new SagaFailure({ reason: "insufficient_stock", detail: "insufficient_stock: prod_guard1" })
        })
        assert.deepStrictEqual(
          Option.getOrThrow(yield* sagas.find(failed.saga.orderId).pipe(Effect.orDie)).failure,
          failed.saga.failure
        )
      }))

    it.effect("finish: a stale runner writes nothing; the current one writes the saga, the order and one event", () =>
      Effect.gen(function*() {
        const sagas = yield* SagaStore
        const wakeUp = yield* OutboxWakeUp
        const signalled = wakeUp.wait(Duration.zero)
        const { order, saga } = yield* storedOrder("commit")
        yield* signalled // whatever storing it signalled
        const paymentId = yield* PaymentId.generate
        const confirmed = OrderTransitions.confirm(
          order,
          { paymentId, trackingNumber: yield* OrderTransitions.mintTrackingNumber },
          yield* stampEvent()
        )

        // another runner took the saga over and counted an attempt: this runner's view is stale
        const stale = new SagaState({ ...saga, attempts: 1 })
        assert.isFalse(yield* sagas.finish(stale, "confirmed", confirmed.order, confirmed.event))
        assert.deepStrictEqual(yield* outboxOf(order.id), [])
        assert.strictEqual((yield* stored(order.id)).status, "pending")
        assert.isFalse(yield* signalled, "no event written, no wake-up")

        assert.isTrue(yield* sagas.finish(saga, "confirmed", confirmed.order, confirmed.event))
        assert.deepStrictEqual(yield* outboxOf(order.id), ["order.confirmed"])
        assert.isTrue(yield* signalled, "the event's relay is woken")
        const after = yield* stored(order.id)
        assert.strictEqual(after.status, "confirmed")
        assert.strictEqual(after.paymentId, paymentId)
        assert.strictEqual(Option.getOrThrow(yield* sagas.find(order.id)).step, "confirmed")

        // the same decision again (a runner that missed the answer): the saga moved on, so no second event
        assert.isFalse(yield* sagas.finish(saga, "confirmed", confirmed.order, confirmed.event))
        assert.deepStrictEqual(yield* outboxOf(order.id), ["order.confirmed"])
      }).pipe(Effect.orDie))

    it.effect("advance with the order's change: both or neither", () =>
      Effect.gen(function*() {
        const sagas = yield* SagaStore
        const { order, saga } = yield* storedOrder("charge")
        const paymentId = yield* PaymentId.generate
        const charged = OrderTransitions.paymentStarted(order, paymentId, order.updatedAt)
        const next = saga.advance("await_payment", { paymentId })

        assert.isFalse(yield* sagas.advance(new SagaState({ ...saga, attempts: 2 }), next, charged))
        assert.strictEqual((yield* stored(order.id)).paymentId, undefined)
        assert.strictEqual(Option.getOrThrow(yield* sagas.find(order.id)).step, "charge")

        assert.isTrue(yield* sagas.advance(saga, next, charged))
        const after = yield* stored(order.id)
        assert.strictEqual(after.paymentId, paymentId)
        assert.strictEqual(after.paymentStatus, "pending")
        assert.strictEqual(Option.getOrThrow(yield* sagas.find(order.id)).step, "await_payment")
      }).pipe(Effect.orDie))
  }
)
