import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Config, ConfigProvider, Effect } from "effect"
import { FaultConfigFromEnv, noFaults } from "../../src/simulator/Faults.ts"
import { startSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { call, chargeBody, simulatorClient, TransportError } from "./client.ts"

/** The statuses of 24 look-ups in a row: the fault dice, made visible. */
const statuses = (base: string) =>
  Effect.forEach(Array.from({ length: 24 }), () => Effect.map(call(base, "GET", "/v1/ledger"), (r) => r.status))

describe("simulator: fault injection", () => {
  it.live("faults are read and replaced through /admin/faults; missing fields are off", () =>
    Effect.gen(function*() {
      const base = yield* startSimulator()
      const api = simulatorClient(base)
      assert.deepStrictEqual((yield* call(base, "GET", "/admin/faults")).body, noFaults)
      const set = yield* api.setFaults({ error_rate: 0.5, latency_ms: 5 })
      assert.deepStrictEqual(set.body, { ...noFaults, error_rate: 0.5, latency_ms: 5 })
      yield* api.setFaults({ hang_rate: 0.1 })
      assert.deepStrictEqual((yield* call(base, "GET", "/admin/faults")).body, { ...noFaults, hang_rate: 0.1 })
      const invalid = yield* api.setFaults({ error_rate: 1.5 })
      assert.strictEqual(invalid.status, 400)
      assert.strictEqual(invalid.body.error.param, "error_rate")
    }))

  it.live("error_rate 1: every API call is a 500 or 503 and nothing is charged; admin and health still answer", () =>
    Effect.gen(function*() {
      const base = yield* startSimulator({ faults: { error_rate: 1 } })
      const api = simulatorClient(base)
      for (let i = 0; i < 10; i++) {
        const reply = yield* api.charge(chargeBody("o-1"), "key-1")
        assert.include([500, 503], reply.status)
        assert.strictEqual(reply.body.error.type, "api_error")
      }
      assert.include([500, 503], (yield* api.get("/v1/ledger")).status)
      assert.strictEqual((yield* call(base, "GET", "/healthz")).status, 200)
      yield* api.setFaults({})
      assert.deepStrictEqual((yield* api.ledger).charges, [])
      // The failed attempts did not use up the key: the retry is a first, real charge.
      const retry = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(retry.status, 200)
      assert.isUndefined(retry.headers["idempotent-replayed"])
    }))

  it.live("refund_refusal_rate 1: refunds are refused (402) and nothing is stored; charges go on; off, the key works", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const charged = yield* api.charge(chargeBody("o-1"), "charge-1")
      assert.strictEqual(charged.status, 200)
      yield* api.setFaults({ refund_refusal_rate: 1 })
      for (let i = 0; i < 3; i++) {
        const refused = yield* api.refund({ charge: charged.body.id }, "refund-1")
        assert.strictEqual(refused.status, 402)
        assert.strictEqual(refused.body.error.type, "card_error")
        assert.strictEqual(refused.body.error.code, "refund_refused")
      }
      assert.strictEqual((yield* api.charge(chargeBody("o-2"), "charge-2")).status, 200)
      assert.deepStrictEqual((yield* api.ledger).refunds, [])
      yield* api.setFaults({})
      const refunded = yield* api.refund({ charge: charged.body.id }, "refund-1")
      assert.strictEqual(refunded.status, 200)
      assert.isUndefined(refunded.headers["idempotent-replayed"])
      assert.lengthOf((yield* api.ledger).refunds, 1)
    }))

  it.live("rate_limit_rate 1: 429 with Retry-After: 1", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { rate_limit_rate: 1 } }))
      const reply = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(reply.status, 429)
      assert.strictEqual(reply.headers["retry-after"], "1")
      assert.strictEqual(reply.body.error.type, "rate_limit_error")
    }))

  it.live("drop_after_charge_rate 1: the client sees a socket hang-up, yet the charge happened and a retry replays it", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { drop_after_charge_rate: 1 } }))
      const lost = yield* Effect.flip(api.charge(chargeBody("o-1"), "key-1"))
      assert.instanceOf(lost, TransportError)
      assert.strictEqual(lost.code, "ECONNRESET")
      assert.strictEqual(lost.message, "socket hang up")

      const ledger = yield* api.ledger
      assert.strictEqual(ledger.charges.length, 1)
      assert.deepStrictEqual(ledger.totals.by_order, { "o-1": 1 })
      const found = yield* api.get("/v1/charges?idempotency_key=key-1")
      assert.strictEqual(found.status, 200)
      assert.strictEqual(found.body.id, ledger.charges[0].id)

      // Still dropping, but a replay charges nothing, so it is answered.
      const retry = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(retry.status, 200)
      assert.strictEqual(retry.headers["idempotent-replayed"], "true")
      assert.strictEqual(retry.body.id, found.body.id)
      assert.strictEqual((yield* api.ledger).charges.length, 1)
    }))

  it.live("hang_rate 1: no reply before the client gives up, and nothing charged", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { hang_rate: 1 } }))
      const hung = yield* Effect.flip(api.charge(chargeBody("o-1"), "key-1").pipe(Effect.timeout("300 millis")))
      assert.isTrue(Cause.isTimeoutError(hung))
      const ledgerHung = yield* Effect.flip(api.get("/v1/ledger").pipe(Effect.timeout("200 millis")))
      assert.isTrue(Cause.isTimeoutError(ledgerHung))
      yield* api.setFaults({})
      assert.deepStrictEqual((yield* api.ledger).charges, [])
      const retry = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(retry.status, 200)
      assert.isUndefined(retry.headers["idempotent-replayed"])
    }))

  it.live("latency_ms (+ jitter) delays every API reply", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { latency_ms: 200, latency_jitter_ms: 50 } }))
      for (const request of [api.get("/v1/ledger"), api.charge(chargeBody("o-1"), "key-1")]) {
        const start = yield* Clock.currentTimeMillis
        const reply = yield* request
        const elapsed = (yield* Clock.currentTimeMillis) - start
        assert.strictEqual(reply.status, 200)
        assert.isAtLeast(elapsed, 195)
        assert.isBelow(elapsed, 2000)
      }
    }))

  it.live("a client that times out during processing does not stop the charge: it is found by its key", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { latency_ms: 300 } }))
      const gaveUp = yield* Effect.flip(api.charge(chargeBody("o-1"), "key-1").pipe(Effect.timeout("100 millis")))
      assert.isTrue(Cause.isTimeoutError(gaveUp))
      yield* api.setFaults({})
      const inFlight = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(inFlight.status, 409)
      yield* Effect.sleep("400 millis")
      const found = yield* api.get("/v1/charges?idempotency_key=key-1")
      assert.strictEqual(found.status, 200)
      assert.strictEqual(found.body.status, "succeeded")
      const retry = yield* api.charge(chargeBody("o-1"), "key-1")
      assert.strictEqual(retry.headers["idempotent-replayed"], "true")
      assert.strictEqual(retry.body.id, found.body.id)
    }))

  it.live("with a seed the faults are reproducible, across simulators and after a reset", () =>
    Effect.gen(function*() {
      const first = yield* startSimulator({ seed: "checkout-42", faults: { error_rate: 0.5 } })
      const second = yield* startSimulator({ seed: "checkout-42", faults: { error_rate: 0.5 } })
      const run = yield* statuses(first)
      assert.deepStrictEqual(yield* statuses(second), run)
      assert.include(run, 200)
      assert.isTrue(run.some((status) => status >= 500))

      const api = simulatorClient(first)
      yield* api.reset
      assert.deepStrictEqual((yield* call(first, "GET", "/admin/faults")).body, noFaults)
      yield* api.setFaults({ error_rate: 0.5 })
      assert.deepStrictEqual(yield* statuses(first), run)
    }))

  it.effect("faults can be set at start from the environment", () =>
    Effect.gen(function*() {
      const env = ConfigProvider.fromUnknown({ SIMULATOR_ERROR_RATE: "0.25", SIMULATOR_LATENCY_MS: "40" })
      assert.deepStrictEqual(yield* FaultConfigFromEnv.parse(env), { ...noFaults, error_rate: 0.25, latency_ms: 40 })
      const invalid = yield* Effect.flip(
        FaultConfigFromEnv.parse(ConfigProvider.fromUnknown({ SIMULATOR_HANG_RATE: "2" }))
      )
      assert.instanceOf(invalid, Config.ConfigError)
    }))
})
