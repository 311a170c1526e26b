import { assert, describe, it } from "@effect/vitest"
import { Cents, Currency, IdempotencyKey, OrderId, PaymentId } from "@shop/domain"
import { Duration, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { RefundId } from "../src/PaymentRecord.ts"
import { notProcessed, PaymentRepo } from "../src/PaymentRepo.ts"
import { PaymentDatabase } from "./fixtures/PaymentTestApp.ts"

const Repo = PaymentRepo.layer.pipe(Layer.provideMerge(PaymentDatabase))

let n = 0
const newPayment = (amountCents = 1000) => {
  n++
  return {
    id: PaymentId.make(`pay_repo${n}`),
    orderId: OrderId.make(`ord_repo${n}`),
    amountCents: Cents.make(amountCents),
    currency: Currency.make("USD"),
    paymentMethod: "pm_card_visa",
    idempotencyKey: IdempotencyKey.make(`k${n}`)
  }
}

const age = (id: string, seconds: number) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql`UPDATE payments SET updated_at = now() - make_interval(secs => ${seconds}) WHERE id = ${id}`
  )

describe("PaymentRepo (real storage)", () => {
  it.live("one payment per order, under a concurrent burst", () =>
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const input = newPayment()
      const results = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => ({ ...input, id: PaymentId.make(`pay_burst${i}`) })),
        repo.insertOrGet,
        { concurrency: "unbounded" }
      )
      assert.strictEqual(results.filter((r) => r.created).length, 1)
      assert.strictEqual(new Set(results.map((r) => r.payment.id)).size, 1)
      assert.strictEqual(results[0]!.payment.providerIdempotencyKey, `charge:${input.orderId}`)
    }).pipe(Effect.provide(Repo)), 60_000)

  it.live(
    "the reconciler's fail is atomic with the idleness check; an attempt in progress is never failed",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const { payment } = yield* repo.insertOrGet(newPayment())
        yield* repo.settle(payment.id, { status: "pending_unknown" })
        yield* age(payment.id, 120)
        yield* repo.beginAttempt(payment.id)
        assert.isTrue(Option.isNone(yield* repo.failIfIdle(payment.id, Duration.seconds(60), notProcessed)))
        yield* age(payment.id, 120)
        const failed = yield* repo.failIfIdle(payment.id, Duration.seconds(60), notProcessed)
        assert.strictEqual(Option.getOrThrow(failed).status, "failed")
        assert.isTrue(Option.isNone(yield* repo.beginAttempt(payment.id)), "a settled payment starts no attempt")
        // The processor's success still wins over the "never processed" verdict.
        const corrected = yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: "ch_1" })
        assert.strictEqual(corrected.status, "succeeded")
        // ...but nothing else moves a settled payment.
        const still = yield* repo.settle(payment.id, { status: "failed", failureReason: "card_declined" })
        assert.strictEqual(still.status, "succeeded")
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live("concurrent refunds can never exceed the charged amount", () =>
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const { payment } = yield* repo.insertOrGet(newPayment(1000))
      yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: "ch_2" })
      const attempts = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) =>
          Effect.result(repo.beginRefund({
            id: RefundId.make(`re_c${n}_${i}`),
            paymentId: payment.id,
            amountCents: Cents.make(300),
            reason: "",
            idempotencyKey: IdempotencyKey.make(`r${i}`)
          })),
        { concurrency: "unbounded" }
      )
      const taken = attempts.filter((a) => a._tag === "Success")
      assert.strictEqual(taken.length, 3, "3 x 300 fit in 1000, a fourth does not")
      const seqs = taken.map((a) => a._tag === "Success" ? a.success.seq : 0).toSorted()
      assert.deepStrictEqual(seqs, [1, 2, 3])
      for (const a of attempts) if (a._tag === "Failure") assert.strictEqual(a.failure._tag, "Conflict")
      for (const a of taken) {
        if (a._tag === "Success") yield* repo.settleRefund(a.success.id, { providerRefundId: `pr_${a.success.seq}` })
      }
      const after = Option.getOrThrow(yield* repo.findById(payment.id))
      assert.strictEqual(after.refundedCents, 900)
      assert.strictEqual(after.status, "succeeded")
      const last = yield* repo.beginRefund({
        id: RefundId.make(`re_last${n}`),
        paymentId: payment.id,
        amountCents: undefined,
        reason: "",
        idempotencyKey: IdempotencyKey.make("rl")
      })
      assert.strictEqual(last.amountCents, 100)
      yield* repo.settleRefund(last.id, { providerRefundId: "pr_last" })
      yield* repo.settleRefund(last.id, { providerRefundId: "pr_last" })
      const full = Option.getOrThrow(yield* repo.findById(payment.id))
      assert.strictEqual(full.refundedCents, 1000, "settling twice adds once")
      assert.strictEqual(full.status, "refunded")
    }).pipe(Effect.provide(Repo)), 60_000)
})
