import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { canonicalJson, fingerprint } from "../../src/simulator/IdempotencyStore.ts"
import { startSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { chargeBody, simulatorClient, type WireReply } from "./client.ts"

const countBy = (replies: ReadonlyArray<WireReply>) => {
  const counts: Record<string, number> = {}
  for (const reply of replies) {
    const kind = reply.headers["idempotent-replayed"] === "true" ? `${reply.status} replayed` : `${reply.status}`
    counts[kind] = (counts[kind] ?? 0) + 1
  }
  return counts
}

describe("simulator: idempotency", () => {
  it("fingerprints bodies by canonical JSON, whatever the key order", () => {
    assert.strictEqual(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }),
      `{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}`
    )
    assert.strictEqual(fingerprint({ a: 1, b: "x" }), fingerprint({ b: "x", a: 1 }))
    assert.notStrictEqual(fingerprint({ a: 1 }), fingerprint({ a: "1" }))
    assert.match(fingerprint({}), /^[0-9a-f]{64}$/)
  })

  it.live("a repeat replays the stored reply byte for byte, marked Idempotent-Replayed, and charges once", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const first = yield* api.charge(chargeBody("o-1"), "key-1")
      // Same parameters in another key order: the same request.
      const { amount, currency, order_id, payment_method } = chargeBody("o-1")
      const again = yield* api.charge({ payment_method, order_id, currency, amount }, "key-1")
      assert.strictEqual(first.status, 200)
      assert.strictEqual(again.status, 200)
      assert.strictEqual(again.text, first.text)
      assert.strictEqual(again.headers["idempotent-replayed"], "true")
      assert.strictEqual((yield* api.ledger).charges.length, 1)
    }))

  it.live("a decline is replayed too, and stays one failed charge", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const body = chargeBody("o-1", { payment_method: "pm_card_chargeDeclined" })
      const first = yield* api.charge(body, "key-1")
      const again = yield* api.charge(body, "key-1")
      assert.deepStrictEqual([first.status, again.status], [402, 402])
      assert.strictEqual(again.text, first.text)
      assert.strictEqual(again.headers["idempotent-replayed"], "true")
      assert.strictEqual((yield* api.ledger).totals.failed_count, 1)
    }))

  it.live("the same key with another body is a 422 idempotency_key_reused", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      yield* api.charge(chargeBody("o-1"), "key-1")
      const reused = yield* api.charge(chargeBody("o-1", { amount: 2000 }), "key-1")
      assert.strictEqual(reused.status, 422)
      assert.strictEqual(reused.body.error.type, "idempotency_error")
      assert.strictEqual(reused.body.error.code, "idempotency_key_reused")
      assert.strictEqual((yield* api.ledger).charges.length, 1)
    }))

  it.live("keys are scoped per endpoint", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const charge = yield* api.charge(chargeBody("o-1"), "shared-key")
      const refund = yield* api.refund({ charge: charge.body.id }, "shared-key")
      assert.strictEqual(refund.status, 200)
      assert.match(refund.body.id, /^re_/)
    }))

  it.live("200 concurrent requests with one key while the first is in flight: one 200, the rest 409, one charge", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator({ faults: { latency_ms: 1000 } }))
      const replies = yield* Effect.all(
        Array.from({ length: 200 }, () => api.charge(chargeBody("o-1"), "same-key")),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(countBy(replies), { "200": 1, "409": 199 })
      const conflict = replies.find((reply) => reply.status === 409)
      assert.deepStrictEqual(conflict?.body.error.type, "idempotency_error")
      assert.deepStrictEqual(conflict?.body.error.code, "request_in_progress")

      yield* api.setFaults({})
      const after = yield* api.charge(chargeBody("o-1"), "same-key")
      assert.strictEqual(after.headers["idempotent-replayed"], "true")
      const ledger = yield* api.ledger
      assert.strictEqual(ledger.charges.length, 1)
      assert.deepStrictEqual(ledger.totals.by_order, { "o-1": 1 })
    }))

  it.live("200 concurrent requests with one key and no latency: exactly one charge, the rest 409s or replays", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const replies = yield* Effect.all(
        Array.from({ length: 200 }, () => api.charge(chargeBody("o-1"), "same-key")),
        { concurrency: "unbounded" }
      )
      const counts = countBy(replies)
      assert.strictEqual(counts["200"], 1)
      assert.strictEqual((counts["200 replayed"] ?? 0) + (counts["409"] ?? 0), 199)
      const ids = new Set(replies.filter((reply) => reply.status === 200).map((reply) => reply.body.id))
      assert.strictEqual(ids.size, 1)
      assert.strictEqual((yield* api.ledger).charges.length, 1)
    }))

  it.live("200 concurrent orders with distinct keys are 200 distinct charges", () =>
    Effect.gen(function*() {
      const api = simulatorClient(yield* startSimulator())
      const replies = yield* Effect.all(
        Array.from({ length: 200 }, (_, i) => api.charge(chargeBody(`o-${i}`), `key-${i}`)),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(countBy(replies), { "200": 200 })
      const totals = (yield* api.ledger).totals
      assert.strictEqual(totals.charge_count, 200)
      assert.strictEqual(totals.charged, 200 * 1999)
    }))
})
