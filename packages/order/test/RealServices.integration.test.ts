import { assert, layer } from "@effect/vitest"
import { type CreateOrderRequest, OrderServiceService } from "@shop/proto/order/v1/order"
import { ProductServiceService } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Deferred, Effect, Exit, Layer, Schedule, Scope } from "effect"
import { awaitTerminal } from "./fixtures/Harness.ts"
import { spawnOrderProcess } from "./fixtures/OrderProcess.ts"
import { spawnService } from "./fixtures/ServiceProcess.ts"
import { asService } from "./fixtures/TestKeys.ts"

interface LedgerSnapshot {
  readonly charges: ReadonlyArray<{ readonly id: string; readonly order_id: string; readonly status: string }>
  readonly refunds: ReadonlyArray<{ readonly charge: string; readonly amount: number }>
}

/** Real product and payment processes with the payment simulator, each on its own test database. */
class RealPeers extends Context.Service<RealPeers, {
  /** The order process's environment: its database, its peers and the shared event log. */
  readonly env: Record<string, string>
  /** The event log every process of the test shares (a fresh database, never the default `shop_events`). */
  readonly eventLog: Record<string, string>
  readonly products: GrpcClient.GrpcClient
  readonly simulatorUrl: string
  readonly ledger: Effect.Effect<LedgerSnapshot>
}>()("test/RealPeers") {
  static readonly layer = Layer.effect(
    RealPeers,
    Effect.gen(function*() {
      const simulator = yield* spawnService({ main: "packages/payment/src/simulator/main.ts", env: {}, kind: "http" })
      const productDb = yield* acquireTestDatabase("order_real_product")
      const paymentDb = yield* acquireTestDatabase("order_real_payment")
      const orderDb = yield* acquireTestDatabase("order_real_order")
      const eventsDb = yield* acquireTestDatabase("order_real_events")
      const eventLog = {
        EVENT_LOG_URL: eventsDb.url,
        EVENT_LOG_POOL_MAX: String(eventsDb.maxConnections),
        KAFKA_BROKERS: ""
      }
      const product = yield* spawnService({
        main: "packages/product/src/main.ts",
        env: {
          ...eventLog,
          DATABASE_URL: productDb.url,
          DATABASE_POOL_MAX: String(productDb.maxConnections),
          // Soon enough for a test to see an expired reservation's stock come back.
          RESERVATION_SWEEP_INTERVAL: "1 second"
        },
        kind: "grpc"
      })
      const payment = yield* spawnService({
        main: "packages/payment/src/main.ts",
        env: {
          ...eventLog,
          DATABASE_URL: paymentDb.url,
          DATABASE_POOL_MAX: String(paymentDb.maxConnections),
          SIMULATOR_URL: `http://${simulator.address}`
        },
        kind: "grpc"
      })
      const products = yield* GrpcClient.make({ address: product.address, service: "product", deadline: "10 seconds" })
        .pipe(Effect.provide(asService("gateway")))
      const ledger = Effect.promise(() =>
        fetch(`http://${simulator.address}/v1/ledger`).then((r) => r.json() as Promise<LedgerSnapshot>)
      )
      return {
        eventLog,
        env: {
          ...eventLog,
          DATABASE_URL: orderDb.url,
          DATABASE_POOL_MAX: String(orderDb.maxConnections),
          PRODUCT_GRPC_ADDR: product.address,
          PAYMENT_GRPC_ADDR: payment.address,
          SAGA_POLL_INTERVAL: "100 millis",
          SAGA_LEASE: "2 seconds",
          SAGA_RETRY_BASE: "50 millis",
          SAGA_RETRY_CAP: "500 millis"
        },
        products,
        simulatorUrl: `http://${simulator.address}`,
        ledger
      }
    })
  )
}

/** Captured minus refunded, in cents, and the number of captures, for one order. */
const money = (ledger: LedgerSnapshot, orderId: string) => {
  const charges = ledger.charges.filter((c) => c.order_id === orderId && c.status === "succeeded")
  const ids = new Set(charges.map((c) => c.id))
  const refunds = ledger.refunds.filter((r) => ids.has(r.charge))
  return { captures: charges.length, refunds: refunds.length }
}

const newProduct = (inventory: number) =>
  RealPeers.use(({ products }) =>
    products.unary(ProductServiceService.createProduct, {
      name: "Real Widget",
      description: "",
      priceCents: 1250,
      currency: "USD",
      sku: `REAL-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`.toUpperCase(),
      category: "Test",
      inventory
    })
  ).pipe(Effect.map((res) => res.product!.id))

const stock = (id: string) =>
  RealPeers.use(({ products }) => products.unary(ProductServiceService.getProduct, { id }))
    .pipe(Effect.map((res) => res.product!))

const order = (productId: string, paymentMethod: string, key: string): CreateOrderRequest => ({
  userId: "user_real",
  items: [{ productId, quantity: 2 }],
  shippingAddress: { street: "1 Real Rd", city: "Berkeley", state: "CA", zip: "94704" },
  paymentMethod,
  idempotencyKey: key,
  email: "",
  phone: ""
})

layer(RealPeers.layer, { timeout: 180_000, excludeTestServices: true })("order saga with the real peers", (it) => {
  it.effect(
    "confirms against the real product and payment services; a decline restores the stock",
    () =>
      Effect.gen(function*() {
        const peers = yield* RealPeers
        const orders = yield* spawnOrderProcess(peers.env)
        const productId = yield* newProduct(5)
        const ok = yield* orders.client.unary(
          OrderServiceService.createOrder,
          order(productId, "credit_card", "real-ok")
        )
        assert.strictEqual(ok.order!.totalCents, 2500)
        const confirmed = yield* awaitTerminal(orders.client, ok.order!.orderId, "user_real")
        assert.strictEqual(confirmed.status, "ORDER_STATUS_CONFIRMED")
        assert.deepStrictEqual(money(yield* peers.ledger, confirmed.orderId), { captures: 1, refunds: 0 })
        const afterSale = yield* stock(productId)
        assert.strictEqual(afterSale.inventory, 3)
        assert.strictEqual(afterSale.reserved, 0)

        const declined = yield* orders.client.unary(
          OrderServiceService.createOrder,
          order(productId, "pm_card_chargeDeclined", "real-declined")
        )
        const failed = yield* awaitTerminal(orders.client, declined.order!.orderId, "user_real")
        assert.strictEqual(failed.status, "ORDER_STATUS_FAILED")
        assert.match(failed.failureReason, /^payment_declined/)
        assert.deepStrictEqual(money(yield* peers.ledger, failed.orderId), { captures: 0, refunds: 0 })
        const afterDecline = yield* stock(productId)
        assert.strictEqual(afterDecline.inventory, 3)
        assert.strictEqual(afterDecline.available, 3)
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )

  const crashes = [
    { failpoint: "after_charge", method: "credit_card", confirmed: true },
    { failpoint: "after_commit", method: "credit_card", confirmed: true },
    { failpoint: "after_release", method: "pm_card_chargeDeclined", confirmed: false }
  ] as const
  for (const crash of crashes) {
    it.effect(
      `an order process killed at ${crash.failpoint} reaches a consistent end after a restart`,
      () =>
        Effect.gen(function*() {
          const peers = yield* RealPeers
          const productId = yield* newProduct(5)
          const request = order(productId, crash.method, `real-crash-${crash.failpoint}`)
          const first = yield* spawnOrderProcess({ ...peers.env, FAILPOINTS: crash.failpoint })
          const answer = yield* first.client.unary(OrderServiceService.createOrder, request)
          const signal = yield* Deferred.await(first.exited).pipe(Effect.timeout("60 seconds"), Effect.orDie)
          assert.strictEqual(signal, "SIGKILL")
          const second = yield* spawnOrderProcess(peers.env)
          const done = yield* awaitTerminal(second.client, answer.order!.orderId, "user_real")
          const after = yield* stock(productId)
          assert.strictEqual(after.reserved, 0)
          if (crash.confirmed) {
            assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
            assert.deepStrictEqual(money(yield* peers.ledger, done.orderId), { captures: 1, refunds: 0 })
            assert.strictEqual(after.inventory, 3)
          } else {
            assert.strictEqual(done.status, "ORDER_STATUS_FAILED")
            assert.deepStrictEqual(money(yield* peers.ledger, done.orderId), { captures: 0, refunds: 0 })
            assert.strictEqual(after.inventory, 5)
          }
        }).pipe(Effect.scoped),
      { timeout: 180_000 }
    )
  }

  it.effect(
    "an order process killed after reserving while placing: no order, nothing charged, the stock back at expiry",
    () =>
      Effect.gen(function*() {
        const peers = yield* RealPeers
        const productId = yield* newProduct(5)
        const chargesBefore = (yield* peers.ledger).charges.length
        // A short hold, so that the dead request's reservation expires within the test.
        const first = yield* spawnOrderProcess({
          ...peers.env,
          FAILPOINTS: "after_reserve",
          ORDER_RESERVATION_TTL: "2 seconds"
        })
        const answer = yield* Effect.result(
          first.client.unary(OrderServiceService.createOrder, order(productId, "credit_card", "real-crash-placing"))
        )
        assert.strictEqual(answer._tag, "Failure")
        assert.strictEqual(
          yield* Deferred.await(first.exited).pipe(Effect.timeout("60 seconds"), Effect.orDie),
          "SIGKILL"
        )
        assert.strictEqual((yield* stock(productId)).reserved, 2)
        const released = yield* stock(productId).pipe(
          Effect.filterOrFail((product) => product.reserved === 0),
          Effect.retry({ schedule: Schedule.spaced("250 millis"), times: 80 }),
          Effect.orDie
        )
        assert.strictEqual(released.inventory, 5)
        assert.strictEqual((yield* peers.ledger).charges.length, chargesBefore)
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )

  it.effect(
    "the payment service killed with -9: the saga retries the charge and confirms once it is back",
    () =>
      Effect.gen(function*() {
        const peers = yield* RealPeers
        const db = yield* acquireTestDatabase("order_real_payment_restart")
        const port = yield* freePort
        const startPayment = (scope: Scope.Scope) =>
          spawnService({
            main: "packages/payment/src/main.ts",
            env: {
              ...peers.eventLog,
              DATABASE_URL: db.url,
              DATABASE_POOL_MAX: String(db.maxConnections),
              SIMULATOR_URL: peers.simulatorUrl
            },
            kind: "grpc",
            port
          }).pipe(Scope.provide(scope))
        const firstScope = yield* Scope.make()
        const payment = yield* startPayment(firstScope)
        const orders = yield* spawnOrderProcess({
          ...peers.env,
          PAYMENT_GRPC_ADDR: `127.0.0.1:${port}`,
          SAGA_MAX_ATTEMPTS: "1000"
        })
        payment.child.kill("SIGKILL")
        yield* Scope.close(firstScope, Exit.void)
        const productId = yield* newProduct(5)
        const created = yield* orders.client.unary(
          OrderServiceService.createOrder,
          order(productId, "credit_card", "real-payment-down")
        )
        const orderId = created.order!.orderId
        yield* Effect.sleep("2 seconds")
        const waiting = yield* orders.client.unary(OrderServiceService.getOrder, { orderId, userId: "user_real" })
        assert.strictEqual(waiting.order!.status, "ORDER_STATUS_PENDING")
        assert.strictEqual(money(yield* peers.ledger, orderId).captures, 0)
        yield* startPayment(yield* Effect.scope)
        const done = yield* awaitTerminal(orders.client, orderId, "user_real")
        assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
        assert.deepStrictEqual(money(yield* peers.ledger, orderId), { captures: 1, refunds: 0 })
        assert.strictEqual((yield* stock(productId)).inventory, 3)
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )

  it.effect(
    "the product service killed with -9 mid-saga: the saga waits for it and confirms once it is back",
    () =>
      Effect.gen(function*() {
        const peers = yield* RealPeers
        const db = yield* acquireTestDatabase("order_real_product_restart")
        const port = yield* freePort
        const startProduct = (scope: Scope.Scope) =>
          spawnService({
            main: "packages/product/src/main.ts",
            env: { ...peers.eventLog, DATABASE_URL: db.url, DATABASE_POOL_MAX: String(db.maxConnections) },
            kind: "grpc",
            port
          }).pipe(Scope.provide(scope))
        const firstScope = yield* Scope.make()
        const product = yield* startProduct(firstScope)
        const products = yield* GrpcClient.make({ address: `127.0.0.1:${port}`, service: "product" }).pipe(
          Effect.provide(asService("gateway"))
        )
        const created = yield* products.unary(ProductServiceService.createProduct, {
          name: "Restart Widget",
          description: "",
          priceCents: 1250,
          currency: "USD",
          sku: `RESTART-${Date.now().toString(36)}`.toUpperCase(),
          category: "Test",
          inventory: 5
        })
        const productId = created.product!.id
        const env = { ...peers.env, PRODUCT_GRPC_ADDR: `127.0.0.1:${port}`, SAGA_MAX_ATTEMPTS: "1000" }
        // The order process stops right after storing the order (its stock reserved); then the product service dies.
        const request = order(productId, "credit_card", "real-product-down")
        const first = yield* spawnOrderProcess({ ...env, FAILPOINTS: "after_create" })
        yield* Effect.result(first.client.unary(OrderServiceService.createOrder, request))
        yield* Deferred.await(first.exited).pipe(Effect.timeout("60 seconds"), Effect.orDie)
        product.child.kill("SIGKILL")
        yield* Scope.close(firstScope, Exit.void)
        const second = yield* spawnOrderProcess(env)
        // The retry of the request finds the stored order (no product call needed to answer it).
        const replayed = yield* second.client.unary(OrderServiceService.createOrder, request)
        assert.isTrue(replayed.replayed)
        const orderId = replayed.order!.orderId
        yield* Effect.sleep("3 seconds")
        const waiting = yield* second.client.unary(OrderServiceService.getOrder, { orderId, userId: "user_real" })
        assert.strictEqual(waiting.order!.status, "ORDER_STATUS_PENDING")
        assert.strictEqual(money(yield* peers.ledger, orderId).captures, 0)
        yield* startProduct(yield* Effect.scope)
        const done = yield* awaitTerminal(second.client, orderId, "user_real")
        assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
        assert.deepStrictEqual(money(yield* peers.ledger, orderId), { captures: 1, refunds: 0 })
        // A client of its own for the restarted service: the first one's channel saw the service die and may still
        // be waiting out grpc-js's reconnect backoff, failing calls at once meanwhile.
        const restarted = yield* GrpcClient.make({ address: `127.0.0.1:${port}`, service: "product" }).pipe(
          Effect.provide(asService("gateway"))
        )
        const after = yield* restarted.unary(ProductServiceService.getProduct, { id: productId })
        assert.strictEqual(after.product!.inventory, 3)
        assert.strictEqual(after.product!.reserved, 0)
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )
})
