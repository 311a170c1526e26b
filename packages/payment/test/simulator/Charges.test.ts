import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { call, chargeBody, simulatorClient } from "./client.ts"

describe("simulator: charges", () => {
  it.live("a visa charge succeeds and moves money", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const reply = yield* api.charge(chargeBody("order-1", { metadata: { cart: "c-1" } }), "key-1")
      assert.strictEqual(reply.status, 200)
      assert.match(reply.body.id, /^ch_\w{24}$/)
      assert.strictEqual(reply.body.status, "succeeded")
      assert.strictEqual(reply.body.amount, 1999)
      assert.strictEqual(reply.body.currency, "usd")
      assert.strictEqual(reply.body.order_id, "order-1")
      assert.deepStrictEqual(reply.body.metadata, { cart: "c-1" })
      assert.isTrue(Number.isInteger(reply.body.created))
      assert.isUndefined(reply.headers["idempotent-replayed"])

      const ledger = yield* api.ledger
      assert.deepStrictEqual(ledger.charges, [reply.body])
      assert.deepStrictEqual(ledger.totals, {
        charged: 1999,
        refunded: 0,
        net: 1999,
        charge_count: 1,
        failed_count: 0,
        refund_count: 0,
        by_order: { "order-1": 1 }
      })
    }))

  it.live("mastercard and the spec's credit_card are accepted; currencies are lower-cased", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const master = yield* api.charge(chargeBody("o-1", { payment_method: "pm_card_mastercard" }), "k-1")
      const card = yield* api.charge(chargeBody("o-2", { payment_method: "credit_card", currency: "EUR" }), "k-2")
      assert.deepStrictEqual([master.status, card.status], [200, 200])
      assert.strictEqual(card.body.currency, "eur")
    }))

  it.live("declined cards answer 402 card errors and are recorded as failed, with no money moved", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const declined = yield* api.charge(chargeBody("o-1", { payment_method: "pm_card_chargeDeclined" }), "k-1")
      assert.strictEqual(declined.status, 402)
      assert.deepStrictEqual(declined.body, {
        error: {
          type: "card_error",
          code: "card_declined",
          message: "Your card was declined.",
          decline_code: "generic_decline"
        }
      })
      const poor = yield* api.charge(chargeBody("o-2", { payment_method: "pm_card_insufficientFunds" }), "k-2")
      assert.strictEqual(poor.status, 402)
      assert.strictEqual(poor.body.error.type, "card_error")
      assert.strictEqual(poor.body.error.code, "insufficient_funds")
      assert.strictEqual(poor.body.error.decline_code, "insufficient_funds")

      const ledger = yield* api.ledger
      assert.deepStrictEqual(
        ledger.charges.map((c: { status: string; failure_code: string }) => [c.status, c.failure_code]),
        [
          ["failed", "card_declined"],
          ["failed", "insufficient_funds"]
        ]
      )
      assert.strictEqual(ledger.totals.charged, 0)
      assert.strictEqual(ledger.totals.charge_count, 0)
      assert.strictEqual(ledger.totals.failed_count, 2)
      assert.deepStrictEqual(ledger.totals.by_order, {})
    }))

  it.live("an unknown payment method is a 400 invalid_request_error and records nothing", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const reply = yield* api.charge(chargeBody("o-1", { payment_method: "pm_card_unicorn" }), "k-1")
      assert.strictEqual(reply.status, 400)
      assert.strictEqual(reply.body.error.type, "invalid_request_error")
      assert.strictEqual(reply.body.error.param, "payment_method")
      assert.deepStrictEqual((yield* api.ledger).charges, [])
    }))

  it.live("invalid requests are 400s naming the parameter", () =>
    Effect.gen(function*() {
      const base = yield* startSimulator()
      const post = (body: unknown, idempotencyKey?: string) =>
        call(base, "POST", "/v1/charges", { body, ...(idempotencyKey !== undefined && { idempotencyKey }) })
      const cases = [
        [yield* post(chargeBody("o-1")), "idempotency_key_missing", undefined],
        [yield* post(chargeBody("o-1", { amount: 0 }), "k"), "parameter_invalid", "amount"],
        [yield* post(chargeBody("o-1", { amount: 10.5 }), "k"), "parameter_invalid", "amount"],
        [yield* post(chargeBody("o-1", { currency: "dollars" }), "k"), "parameter_invalid", "currency"],
        [
          yield* post({ amount: 100, currency: "usd", payment_method: "pm_card_visa" }, "k"),
          "parameter_missing",
          "order_id"
        ],
        [yield* post(chargeBody("o-1", { amount_typo: 1 }), "k"), "parameter_unknown", "amount_typo"],
        [
          yield* call(base, "POST", "/v1/charges", { rawBody: "{not json", idempotencyKey: "k" }),
          "parameter_invalid",
          undefined
        ]
      ] as const
      for (const [reply, code, param] of cases) {
        assert.strictEqual(reply.status, 400, reply.text)
        assert.strictEqual(reply.body.error.type, "invalid_request_error")
        assert.strictEqual(reply.body.error.code, code)
        assert.strictEqual(reply.body.error.param, param)
      }
      // Rejected before running, so the key was not used up.
      const ok = yield* post(chargeBody("o-1"), "k")
      assert.strictEqual(ok.status, 200)
    }))
})
