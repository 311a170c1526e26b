import { assert, layer } from "@effect/vitest"
import { OrderServiceService, OrderStatus as OrderStatusProto } from "@shop/proto/order/v1/order"
import { OrderAdminServiceService as Admin } from "@shop/proto/order/v1/order_admin"
import { PaymentStatus } from "@shop/proto/payment/v1/payment"
import { Duration, Effect, Schedule } from "effect"
import { awaitTerminal, Harness } from "./fixtures/Harness.ts"

const address = { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" }
let counter = 0
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${++counter}`

/** The saga of `orderId` on the console's list, once `until` holds (bounded). */
const listedSaga = (orderId: string, until: (saga: { attempts: number; state: string }) => boolean) =>
  Harness.use((h) =>
    h.client.unary(Admin.listSagas, { limit: 0 }).pipe(
      Effect.map((reply) => reply.sagas.find((saga) => saga.orderId === orderId)),
      Effect.filterOrFail((saga) => saga !== undefined && until(saga)),
      Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo({ times: 200 }))),
      Effect.orDie,
      Effect.map((saga) => saga!)
    )
  )

// Backoff far beyond the test: a saga moves again within it only if an operator makes it due.
const slowRetries = { retryBase: Duration.seconds(60), retryCap: Duration.seconds(120), maxAttempts: 2 }

layer(Harness.layer("order_admin", slowRetries), { timeout: 120_000, excludeTestServices: true })(
  "order admin service over gRPC (real storage)",
  (it) => {
    it.effect("a saga waiting on its payment is listed retrying, then stuck; a retry runs it now, to confirmed", () =>
      Effect.gen(function*() {
        const h = yield* Harness
        const product = unique("prod_adm")
        h.product.add(product, 1999, 5)
        const userId = unique("user_")
        const created = yield* h.client.unary(OrderServiceService.createOrder, {
          userId,
          items: [{ productId: product, quantity: 1 }],
          shippingAddress: address,
          paymentMethod: "pm_card_unknown", // the fake processor keeps the outcome unknown until settled
          idempotencyKey: unique("key_"),
          email: "",
          phone: ""
        })
        const orderId = created.order!.orderId
        const first = yield* listedSaga(orderId, (saga) => saga.attempts >= 1)
        assert.strictEqual(first.step, "await_payment")
        assert.strictEqual(first.state, "retrying")
        assert.strictEqual(first.lastError, "payment pending")
        assert.isAbove(Date.parse(first.nextAttemptAt), Date.now() + 20_000, "the next attempt is far away")

        const started = Date.now()
        const retried = yield* h.client.unary(Admin.retrySaga, { orderId })
        assert.isAtMost(Date.parse(retried.saga!.nextAttemptAt), Date.now() + 1_000)
        const second = yield* listedSaga(orderId, (saga) => saga.attempts >= 2)
        assert.isBelow(Date.now() - started, 15_000, "run by the retry, not by its backoff")
        assert.strictEqual(second.state, "stuck", "SAGA_MAX_ATTEMPTS failed attempts at one step")

        h.payment.settle(orderId, PaymentStatus.SUCCEEDED)
        yield* h.client.unary(Admin.retrySaga, { orderId })
        const order = yield* awaitTerminal(h.client, orderId, userId)
        assert.strictEqual(order.status, "ORDER_STATUS_CONFIRMED")
        const after = yield* h.client.unary(Admin.listSagas, { limit: 0 })
        assert.isUndefined(after.sagas.find((saga) => saga.orderId === orderId), "an ended saga is not listed")

        const ended = yield* Effect.flip(h.client.unary(Admin.retrySaga, { orderId }))
        assert.strictEqual(ended._tag, "Conflict")
        assert.match(ended.message, /has ended \(confirmed\)/)
        const unknown = yield* Effect.flip(h.client.unary(Admin.retrySaga, { orderId: "ord_doesnotexist1" }))
        assert.strictEqual(unknown._tag, "NotFound")
        const malformed = yield* Effect.flip(h.client.unary(Admin.retrySaga, { orderId: "'; DROP TABLE sagas" }))
        assert.strictEqual(malformed._tag, "ValidationError")
      }))

    it.effect("every customer's orders, newest first, by status, paged with a cursor among the matching ones", () =>
      Effect.gen(function*() {
        const h = yield* Harness
        const product = unique("prod_all")
        h.product.add(product, 500, 50)
        const users = [unique("user_a"), unique("user_b")]
        const placed: Array<string> = []
        for (const [i, userId] of [...users, ...users].entries()) {
          const created = yield* h.client.unary(OrderServiceService.createOrder, {
            userId,
            items: [{ productId: product, quantity: 1 }],
            shippingAddress: address,
            paymentMethod: "pm_card_visa",
            idempotencyKey: unique(`key_${i}_`),
            email: "",
            phone: ""
          })
          placed.push(created.order!.orderId)
          yield* awaitTerminal(h.client, created.order!.orderId, userId)
        }
        const confirmed = OrderStatusProto.CONFIRMED
        const first = yield* h.client.unary(Admin.listAllOrders, { page: 1, limit: 2, cursor: "", status: confirmed })
        assert.isAtLeast(first.total, 4)
        assert.strictEqual(first.orders.length, 2)
        assert.isTrue(first.orders.every((order) => order.status === confirmed))
        // newest first, both users', then the next page continues after them
        assert.deepStrictEqual(first.orders.map((order) => order.orderId), placed.toReversed().slice(0, 2))
        assert.deepStrictEqual(new Set(first.orders.map((order) => order.userId)), new Set(users))
        const next = yield* h.client.unary(Admin.listAllOrders, {
          page: 0,
          limit: 2,
          cursor: first.nextCursor,
          status: confirmed
        })
        assert.deepStrictEqual(next.orders.map((order) => order.orderId), placed.toReversed().slice(2, 4))
        const failed = yield* h.client.unary(Admin.listAllOrders, {
          page: 1,
          limit: 100,
          cursor: "",
          status: OrderStatusProto.FAILED
        })
        assert.isFalse(failed.orders.some((order) => placed.includes(order.orderId)))
        const shipped = yield* Effect.flip(
          h.client.unary(Admin.listAllOrders, { page: 1, limit: 2, cursor: "", status: OrderStatusProto.SHIPPED })
        )
        assert.strictEqual(shipped._tag, "ValidationError")
      }))

    it.effect("the outbox backlog counts unpublished events per topic, with the oldest one's time", () =>
      Effect.gen(function*() {
        const h = yield* Harness
        // No relay runs here: whatever is in the outbox stays unpublished until marked so.
        yield* h.sql`UPDATE outbox SET published_at = now() WHERE published_at IS NULL`.pipe(Effect.orDie)
        const empty = yield* h.client.unary(Admin.getOutboxBacklog, {})
        assert.deepStrictEqual(empty, { service: "order", pending: 0, oldestAt: "", topics: [] })
        const product = unique("prod_out")
        h.product.add(product, 500, 5)
        const userId = unique("user_")
        const created = yield* h.client.unary(OrderServiceService.createOrder, {
          userId,
          items: [{ productId: product, quantity: 1 }],
          shippingAddress: address,
          paymentMethod: "pm_card_visa",
          idempotencyKey: unique("key_"),
          email: "",
          phone: ""
        })
        yield* awaitTerminal(h.client, created.order!.orderId, userId)
        const written = yield* h.sql<{ n: number }>`
          SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = ${created.order!.orderId}`.pipe(Effect.orDie)
        const backlog = yield* h.client.unary(Admin.getOutboxBacklog, {})
        assert.isAtLeast(written[0]!.n, 2, "order.created and order.confirmed")
        assert.strictEqual(backlog.pending, written[0]!.n)
        assert.deepStrictEqual(backlog.topics.map((t) => [t.topic, t.pending]), [["shop.orders", written[0]!.n]])
        assert.isAtMost(Date.now() - Date.parse(backlog.oldestAt), 60_000)
      }))

    it.effect("breakers: order's peers from its own gauges; payment's processor breaker unknown when not reported", () =>
      Effect.gen(function*() {
        const h = yield* Harness
        const { breakers } = yield* h.client.unary(Admin.listBreakers, {})
        assert.deepStrictEqual(breakers, [
          { service: "order", dependency: "product", state: "closed" },
          { service: "order", dependency: "payment", state: "closed" },
          // the fake payment peer serves no admin service
          { service: "payment", dependency: "payment-provider", state: "unknown" }
        ])
      }))
  }
)
