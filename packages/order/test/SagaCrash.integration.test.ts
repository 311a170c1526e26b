import { assert, layer } from "@effect/vitest"
import { type CreateOrderRequest, OrderServiceService, OrderStatus } from "@shop/proto/order/v1/order"
import { PaymentStatus } from "@shop/proto/payment/v1/payment"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Deferred, Effect, Layer } from "effect"
import type { Failpoint } from "../src/Failpoints.ts"
import type { FakePaymentState } from "./fixtures/FakePayment.ts"
import type { FakeProductState } from "./fixtures/FakeProduct.ts"
import { awaitTerminal, startPeers } from "./fixtures/Harness.ts"
import { spawnOrderProcess } from "./fixtures/OrderProcess.ts"

/**
 * Crash recovery with a real order process: it SIGKILLs itself at a named failpoint, is started again without
 * failpoints, and the saga must end confirmed and charged once, or failed with stock restored and nothing charged.
 * The product and payment services are in-test gRPC servers whose ledgers the assertions read.
 */
class CrashEnv extends Context.Service<CrashEnv, {
  readonly product: FakeProductState
  readonly payment: FakePaymentState
  readonly env: Record<string, string>
}>()("test/CrashEnv") {
  static readonly layer = Layer.effect(
    CrashEnv,
    Effect.gen(function*() {
      const peers = yield* startPeers
      const db = yield* acquireTestDatabase("order_crash")
      // The outbox relay publishes into an event log of the test's own, never the default `shop_events`.
      const events = yield* acquireTestDatabase("order_crash_events")
      return {
        product: peers.product,
        payment: peers.payment,
        env: {
          EVENT_LOG_URL: events.url,
          EVENT_LOG_POOL_MAX: String(events.maxConnections),
          KAFKA_BROKERS: "",
          DATABASE_URL: db.url,
          DATABASE_POOL_MAX: String(db.maxConnections),
          PRODUCT_GRPC_ADDR: peers.productAddress,
          PAYMENT_GRPC_ADDR: peers.paymentAddress,
          SAGA_POLL_INTERVAL: "100 millis",
          SAGA_LEASE: "2 seconds",
          SAGA_RETRY_BASE: "50 millis",
          SAGA_RETRY_CAP: "500 millis"
        }
      }
    })
  )
}

interface Scenario {
  readonly failpoint: Failpoint
  /** What sets the scene before the order is placed, if anything. */
  readonly setup?: (env: CrashEnv["Service"]) => void
  readonly label?: string
  readonly paymentMethod: string
  readonly outcome: "confirmed" | "failed"
  /** Moves the saga on to the failpoint while the first process runs. */
  readonly drive?: (env: CrashEnv["Service"], orderId: string) => Effect.Effect<void>
}

const scenarios: ReadonlyArray<Scenario> = [
  { failpoint: "after_create", paymentMethod: "pm_card_visa", outcome: "confirmed" },
  {
    failpoint: "after_reserve",
    label: "after_reserve in the saga",
    // The reservation made while placing the order fails, so the saga's own reserve step holds the stock.
    setup: (env) => void (env.product.failReserves = 1),
    paymentMethod: "pm_card_visa",
    outcome: "confirmed"
  },
  { failpoint: "after_charge", paymentMethod: "pm_card_visa", outcome: "confirmed" },
  { failpoint: "after_commit", paymentMethod: "pm_card_visa", outcome: "confirmed" },
  { failpoint: "after_release", paymentMethod: "pm_card_chargeDeclined", outcome: "failed" },
  {
    failpoint: "after_refund",
    paymentMethod: "pm_card_unknown",
    outcome: "failed",
    // The charge succeeds late, after the reservation expired: the commit fails and the charge is refunded.
    drive: (env, orderId) =>
      Effect.sleep("700 millis").pipe(Effect.andThen(Effect.sync(() => {
        env.product.expire(orderId)
        env.payment.settle(orderId, PaymentStatus.SUCCEEDED)
      })))
  }
]

const address = { street: "1 Crash Way", city: "Oakland", state: "CA", zip: "94607" }

layer(CrashEnv.layer, { timeout: 120_000, excludeTestServices: true })("order process killed at a failpoint", (it) => {
  for (const scenario of scenarios) {
    const label = scenario.label ?? scenario.failpoint
    it.effect(`${label}: ends ${scenario.outcome} after a restart`, () =>
      Effect.gen(function*() {
        const env = yield* CrashEnv
        const productId = `prod_crash_${label.replaceAll(" ", "_")}`
        env.product.add(productId, 1250, 5)
        scenario.setup?.(env)
        const request: CreateOrderRequest = {
          userId: `user_${label.replaceAll(" ", "_")}`,
          items: [{ productId, quantity: 2 }],
          shippingAddress: address,
          paymentMethod: scenario.paymentMethod,
          idempotencyKey: `crash-${label.replaceAll(" ", "-")}`,
          email: "",
          phone: ""
        }

        const first = yield* spawnOrderProcess({ ...env.env, FAILPOINTS: scenario.failpoint })
        // With after_create the process dies before it answers: the client only learns the call failed.
        const answer = yield* Effect.result(first.client.unary(OrderServiceService.createOrder, request))
        if (answer._tag === "Success" && scenario.drive !== undefined) {
          yield* scenario.drive(env, answer.success.order!.orderId)
        }
        const signal = yield* Deferred.await(first.exited).pipe(Effect.timeout("60 seconds"), Effect.orDie)
        assert.strictEqual(signal, "SIGKILL")

        const second = yield* spawnOrderProcess(env.env)
        // Retrying with the same key finds the order the dead process stored, and starts no second saga.
        const replay = yield* second.client.unary(OrderServiceService.createOrder, request)
        assert.isTrue(replay.replayed)
        const orderId = replay.order!.orderId
        const done = yield* awaitTerminal(second.client, orderId, request.userId)

        const product = env.product.products.get(productId)!
        assert.strictEqual(product.reserved, 0)
        if (scenario.outcome === "confirmed") {
          assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED", done.failureReason)
          assert.strictEqual(env.payment.captures(orderId), 1)
          assert.strictEqual(env.payment.charged(orderId), 2500)
          assert.strictEqual(product.inventory, 3)
        } else {
          assert.strictEqual(done.status, "ORDER_STATUS_FAILED")
          assert.strictEqual(env.payment.charged(orderId), 0)
          assert.strictEqual(product.inventory, 5)
        }
        assert.strictEqual(env.payment.payments().filter((p) => p.orderId === orderId).length <= 1, true)
      }).pipe(Effect.scoped), { timeout: 120_000 })
  }

  it.effect(
    "after_reserve while placing: no order, nothing charged, the key busy until its claim lapses",
    () =>
      Effect.gen(function*() {
        const env = yield* CrashEnv
        const productId = "prod_crash_placing"
        env.product.add(productId, 1250, 5)
        const request: CreateOrderRequest = {
          userId: "user_crash_placing",
          items: [{ productId, quantity: 2 }],
          shippingAddress: address,
          paymentMethod: "pm_card_visa",
          idempotencyKey: "crash-placing",
          email: "",
          phone: ""
        }
        const first = yield* spawnOrderProcess({ ...env.env, FAILPOINTS: "after_reserve" })
        // The stock is held, then the process dies before the order is stored: the client learns only a failure.
        const answer = yield* Effect.result(first.client.unary(OrderServiceService.createOrder, request))
        assert.strictEqual(answer._tag, "Failure")
        assert.strictEqual(
          yield* Deferred.await(first.exited).pipe(Effect.timeout("60 seconds"), Effect.orDie),
          "SIGKILL"
        )

        const second = yield* spawnOrderProcess(env.env)
        // The dead request still holds the key's claim: a retry is told to wait, never given a second order meanwhile.
        const retried = yield* Effect.flip(second.client.unary(OrderServiceService.createOrder, request))
        assert.strictEqual(retried._tag, "RequestInProgress")
        const listed = yield* second.client.unary(OrderServiceService.listOrders, {
          userId: request.userId,
          page: 1,
          limit: 10,
          cursor: "",
          status: OrderStatus.UNSPECIFIED
        })
        assert.strictEqual(listed.orders.length, 0)
        // The dead request's reservation holds the stock until it expires (the product service's sweeper); the
        // retry reserved while it claimed, and gave that back when it found the key held.
        const ofProduct = [...env.product.reservations].filter(([, r]) =>
          r.items.some((i) => i.productId === productId)
        )
        const orphans = ofProduct.filter(([, r]) => r.status === "pending")
        assert.strictEqual(orphans.length, 1)
        assert.deepStrictEqual(ofProduct.filter(([, r]) => r.status !== "pending").map(([, r]) => r.status), [
          "released"
        ])
        const [orphanId] = orphans[0]!
        assert.strictEqual(env.payment.payments().filter((p) => p.orderId === orphanId).length, 0)
        env.product.expire(orphanId)
        const product = env.product.products.get(productId)!
        assert.strictEqual(product.reserved, 0)
        assert.strictEqual(product.inventory, 5)
      }).pipe(Effect.scoped),
    { timeout: 120_000 }
  )
})
