import { assert, describe, it, layer } from "@effect/vitest"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { ConfigProvider, Effect, Layer, Logger } from "effect"
import { PaymentSimulator, startSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { call, chargeBody, simulatorClient } from "./client.ts"

describe("simulator: look-ups and reset", () => {
  it.live("a charge by id, by idempotency key, and the charges of an order", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const first = yield* api.charge(chargeBody("o-1"), "key-1")
      const declined = yield* api.charge(chargeBody("o-1", { payment_method: "pm_card_chargeDeclined" }), "key-2")
      yield* api.charge(chargeBody("o-2"), "key-3")

      const byId = yield* api.get(`/v1/charges/${first.body.id}`)
      assert.strictEqual(byId.text, first.text)
      assert.strictEqual((yield* api.get("/v1/charges/ch_nope")).status, 404)

      const byKey = yield* api.get("/v1/charges?idempotency_key=key-1")
      assert.strictEqual(byKey.body.id, first.body.id)
      const declinedByKey = yield* api.get("/v1/charges?idempotency_key=key-2")
      assert.strictEqual(declinedByKey.body.status, "failed")
      assert.strictEqual(declined.status, 402)
      const none = yield* api.get("/v1/charges?idempotency_key=never-used")
      assert.strictEqual(none.status, 404)
      assert.strictEqual(none.body.error.code, "resource_missing")

      const ofOrder = yield* api.get("/v1/charges?order_id=o-1")
      assert.strictEqual(ofOrder.body.object, "list")
      assert.deepStrictEqual(ofOrder.body.data.map((c: { status: string }) => c.status), ["succeeded", "failed"])
      assert.deepStrictEqual((yield* api.get("/v1/charges?order_id=o-9")).body.data, [])
      assert.strictEqual((yield* api.get("/v1/charges")).body.data.length, 3)
      assert.deepStrictEqual((yield* api.ledger).totals.by_order, { "o-1": 1, "o-2": 1 })
    }))

  it.live("charges by creation time, newest first, a page at a time", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) ids.push((yield* api.charge(chargeBody(`o-w${i}`), `key-w${i}`)).body.id)
      const now = Math.floor(Date.now() / 1000)
      const window = `created[gte]=${now - 60}&created[lt]=${now + 60}`
      const first = yield* api.get(`/v1/charges?${window}&limit=2`)
      assert.deepStrictEqual(first.body.data.map((c: { id: string }) => c.id), [ids[4], ids[3]])
      assert.isTrue(first.body.has_more)
      const second = yield* api.get(`/v1/charges?${window}&limit=2&starting_after=${ids[3]}`)
      assert.deepStrictEqual(second.body.data.map((c: { id: string }) => c.id), [ids[2], ids[1]])
      const last = yield* api.get(`/v1/charges?${window}&limit=2&starting_after=${ids[1]}`)
      assert.deepStrictEqual(last.body.data.map((c: { id: string }) => c.id), [ids[0]])
      assert.isFalse(last.body.has_more)
      const future = yield* api.get(`/v1/charges?created[gte]=${now + 60}`)
      assert.deepStrictEqual(future.body.data, [])
      assert.strictEqual((yield* api.get("/v1/charges?limit=0")).status, 400)
      assert.strictEqual((yield* api.get("/v1/charges?created[gte]=yesterday")).status, 400)
    }))

  it.live("reset clears the ledger, the idempotency store and the faults", () =>
    Effect.gen(function*() {
      const base = yield* startSimulator()
      const api = simulatorClient(base)
      const before = yield* api.charge(chargeBody("o-1"), "key-1")
      yield* api.refund({ charge: before.body.id, amount: 5 }, "refund-1")
      yield* api.setFaults({ latency_ms: 10 })

      const reset = yield* api.reset
      assert.strictEqual(reset.status, 200)
      const ledger = yield* api.ledger
      assert.deepStrictEqual([ledger.charges, ledger.refunds, ledger.totals.charged], [[], [], 0])
      assert.strictEqual((yield* call(base, "GET", "/admin/faults")).body.latency_ms, 0)
      // The key is forgotten: the same request is a new charge, not a replay.
      const after = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.isUndefined(after.headers["idempotent-replayed"])
      assert.notStrictEqual(after.body.id, before.body.id)
    }))

  it.live("health, and JSON 404s for unknown routes", () =>
    Effect.gen(function*() {
      const base = yield* startSimulator()
      const health = yield* call(base, "GET", "/healthz")
      assert.strictEqual(health.status, 200)
      assert.strictEqual(health.body.status, "ok")
      const unknown = yield* call(base, "DELETE", "/v1/charges")
      assert.strictEqual(unknown.status, 404)
      assert.strictEqual(unknown.body.error.code, "unrecognized_url")
    }))

  it.live("layerConfig reads SIMULATOR_PORT, SIMULATOR_HOST and the start-up faults from the environment", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const env = ConfigProvider.fromUnknown({
        SIMULATOR_PORT: String(port),
        SIMULATOR_HOST: "127.0.0.1",
        SIMULATOR_SEED: "7",
        SIMULATOR_RATE_LIMIT_RATE: "1"
      })
      const { baseUrl } = yield* PaymentSimulator.pipe(
        Effect.provide(PaymentSimulator.layerConfig.pipe(Layer.provide(ConfigProvider.layer(env)))),
        Effect.provide(Logger.layer([]))
      )
      assert.strictEqual(baseUrl, `http://127.0.0.1:${port}`)
    }))
})

layer(PaymentSimulator.layerTest)("simulator: PaymentSimulator.layerTest", (test) => {
  test.effect("serves on a free loopback port", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* PaymentSimulator
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
      assert.strictEqual((yield* call(baseUrl, "GET", "/healthz")).status, 200)
    }))
})
