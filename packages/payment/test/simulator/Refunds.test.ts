import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { chargeBody, simulatorClient } from "./client.ts"

const setup = Effect.gen(function*() {
  const api = simulatorClient(yield* startSimulator())
  const charge = yield* api.charge(chargeBody("o-1", { amount: 1000 }), "charge-key")
  return { api, chargeId: charge.body.id as string }
})

describe("simulator: refunds", () => {
  it.live("a partial refund, then the remainder by default, then nothing left", () =>
    Effect.gen(function*() {
      const { api, chargeId } = yield* setup
      const partial = yield* api.refund({ charge: chargeId, amount: 300, reason: "requested_by_customer" }, "r-1")
      assert.strictEqual(partial.status, 200)
      assert.match(partial.body.id, /^re_\w{24}$/)
      assert.strictEqual(partial.body.charge, chargeId)
      assert.strictEqual(partial.body.amount, 300)
      assert.strictEqual(partial.body.status, "succeeded")
      assert.strictEqual(partial.body.reason, "requested_by_customer")
      const afterPartial = yield* api.get(`/v1/charges/${chargeId}`)
      assert.strictEqual(afterPartial.body.amount_refunded, 300)
      assert.isFalse(afterPartial.body.refunded)

      const rest = yield* api.refund({ charge: chargeId }, "r-2")
      assert.strictEqual(rest.status, 200)
      assert.strictEqual(rest.body.amount, 700)
      const refunded = yield* api.get(`/v1/charges/${chargeId}`)
      assert.strictEqual(refunded.body.amount_refunded, 1000)
      assert.isTrue(refunded.body.refunded)

      const again = yield* api.refund({ charge: chargeId }, "r-3")
      assert.strictEqual(again.status, 400)
      assert.strictEqual(again.body.error.code, "charge_already_refunded")

      const totals = (yield* api.ledger).totals
      assert.deepStrictEqual([totals.charged, totals.refunded, totals.net, totals.refund_count], [1000, 1000, 0, 2])
      const fetched = yield* api.get(`/v1/refunds/${partial.body.id}`)
      assert.strictEqual(fetched.text, partial.text)
    }))

  it.live("refunding more than remains is a 400 and refunds nothing", () =>
    Effect.gen(function*() {
      const { api, chargeId } = yield* setup
      yield* api.refund({ charge: chargeId, amount: 600 }, "r-1")
      const over = yield* api.refund({ charge: chargeId, amount: 500 }, "r-2")
      assert.strictEqual(over.status, 400)
      assert.strictEqual(over.body.error.type, "invalid_request_error")
      assert.strictEqual(over.body.error.code, "amount_too_large")
      assert.strictEqual(over.body.error.param, "amount")
      assert.strictEqual((yield* api.ledger).totals.refunded, 600)
    }))

  it.live("a declined charge cannot be refunded; an unknown charge is a 404", () =>
    Effect.gen(function*() {
      const { api } = yield* setup
      const declined = yield* api.charge(chargeBody("o-2", { payment_method: "pm_card_chargeDeclined" }), "c-2")
      assert.strictEqual(declined.status, 402)
      const failed = (yield* api.ledger).charges.find((c: { status: string }) => c.status === "failed")
      const refund = yield* api.refund({ charge: failed.id }, "r-1")
      assert.strictEqual(refund.status, 400)
      assert.strictEqual(refund.body.error.code, "charge_not_refundable")
      const missing = yield* api.refund({ charge: "ch_missing" }, "r-2")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.body.error.code, "resource_missing")
      assert.strictEqual((yield* api.ledger).totals.refund_count, 0)
    }))

  it.live("a refund is idempotent: the repeat replays the same refund", () =>
    Effect.gen(function*() {
      const { api, chargeId } = yield* setup
      const first = yield* api.refund({ charge: chargeId, amount: 250 }, "r-1")
      const again = yield* api.refund({ charge: chargeId, amount: 250 }, "r-1")
      assert.strictEqual(again.text, first.text)
      assert.strictEqual(again.headers["idempotent-replayed"], "true")
      const reused = yield* api.refund({ charge: chargeId, amount: 251 }, "r-1")
      assert.strictEqual(reused.status, 422)
      assert.strictEqual((yield* api.ledger).totals.refunded, 250)
    }))

  it.live("concurrent refunds under different keys never exceed the charge", () =>
    Effect.gen(function*() {
      const { api, chargeId } = yield* setup
      const replies = yield* Effect.all(
        Array.from({ length: 50 }, (_, i) => api.refund({ charge: chargeId, amount: 30 }, `r-${i}`)),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(replies.filter((reply) => reply.status === 200).length, 33)
      assert.strictEqual(replies.filter((reply) => reply.status === 400).length, 17)
      assert.strictEqual((yield* api.ledger).totals.refunded, 990)
    }))
})
