import { assert, describe, it } from "@effect/vitest"
import { Cents, Currency, IdempotencyKey, OrderId, PaymentId } from "@shop/domain"
import { Duration, Effect, Layer, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { KeyClaim } from "../src/IdempotencyStore.ts"
import { claimBatchSize, settleBatchSize } from "../src/PaymentMetrics.ts"
import { RefundId } from "../src/PaymentRecord.ts"
import { notProcessed, PaymentRepo } from "../src/PaymentRepo.ts"
import { RefundRepo } from "../src/RefundRepo.ts"
import { PaymentDatabase } from "./fixtures/PaymentTestApp.ts"

const Repo = Layer.mergeAll(PaymentRepo.layer, RefundRepo.layer).pipe(Layer.provideMerge(PaymentDatabase))

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

/** A claim of `key` by the order service, as `IdempotencyStore.claimOf` makes it. */
const claimOf = (key: string): KeyClaim => ({ caller: "order", key, fingerprint: "fp", lockSeconds: 30 })

/** How many records the order service's `key` has (0 or 1). */
const claimsOf = (key: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) =>
      Effect.map(
        sql`SELECT 1 FROM idempotency_records WHERE caller = 'order' AND key = ${key}`,
        (rows) => rows.length
      )
  )

/** The payment inserts of `orderId` fail, as a full disk or a broken constraint would fail them. */
const refuseInsertsFor = (orderId: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.gen(function*() {
      yield* sql`CREATE TABLE IF NOT EXISTS refused_orders (order_id text PRIMARY KEY)`
      yield* sql`INSERT INTO refused_orders VALUES (${orderId})`
      yield* sql`CREATE OR REPLACE FUNCTION refuse_payment() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM refused_orders WHERE order_id = NEW.order_id) THEN
            RAISE EXCEPTION 'payment refused';
          END IF;
          RETURN NEW;
        END $$`
      yield* sql`DROP TRIGGER IF EXISTS refuse_payment ON payments`
      yield* sql`CREATE TRIGGER refuse_payment BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION refuse_payment()`
    }))

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
    "a claimed insert writes nothing behind a key another request holds, and a failed insert takes its claim with it",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const sql = yield* SqlClient.SqlClient
        const paymentsOf = (orderId: string) =>
          Effect.map(sql`SELECT 1 FROM payments WHERE order_id = ${orderId}`, (rows) => rows.length)

        const first = newPayment()
        const opened = yield* repo.insertClaimed(first, claimOf(`open-${first.orderId}`))
        assert.isTrue(Option.isSome(opened) && opened.value.created && opened.value.payment.id === first.id)
        assert.strictEqual(yield* claimsOf(`open-${first.orderId}`), 1)

        const closed = newPayment()
        assert.isTrue(
          Option.isNone(yield* repo.insertClaimed(closed, claimOf(`open-${first.orderId}`))),
          "the key is held by the first request"
        )
        assert.strictEqual(yield* paymentsOf(closed.orderId), 0, "so no payment either")

        const again = yield* repo.insertClaimed(
          { ...first, id: PaymentId.make(`pay_again${n}`) },
          claimOf(`again-${n}`)
        )
        assert.isTrue(Option.isSome(again) && !again.value.created && again.value.payment.id === first.id)

        const refused = newPayment()
        yield* refuseInsertsFor(refused.orderId)
        const failed = yield* Effect.result(repo.insertClaimed(refused, claimOf(`refused-${refused.orderId}`)))
        assert.strictEqual(failed._tag, "Failure")
        assert.strictEqual(yield* claimsOf(`refused-${refused.orderId}`), 0, "the claim went with the insert")
        assert.strictEqual(yield* paymentsOf(refused.orderId), 0)
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live(
    "charges that come together share their claims' and inserts' statements, each answered as alone",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const sql = yield* SqlClient.SqlClient
        // Keys another request holds (in flight, its lock not expired): nothing may be inserted behind them.
        const held = Array.from({ length: 3 }, () => newPayment())
        for (const payment of held) {
          yield* sql`INSERT INTO idempotency_records (caller, key, fingerprint, state, locked_until)
            VALUES ('order', ${`held-${payment.orderId}`}, 'fp', 'in_flight', now() + interval '1 minute')`
        }
        // Orders that have their payment already: a new key is won, and the existing payment answered.
        const paid = Array.from({ length: 3 }, () => newPayment())
        for (const payment of paid) yield* repo.insertOrGet(payment)
        const fresh = Array.from({ length: 16 }, () => newPayment())
        // One key sent twice with the same fingerprint (two orders, a client's bug): one claim wins it.
        const [twiceA, twiceB] = [newPayment(), newPayment()]
        const requests = [
          ...fresh.map((payment) => ({ payment, claim: claimOf(`fresh-${payment.orderId}`) })),
          ...held.map((payment) => ({ payment, claim: claimOf(`held-${payment.orderId}`) })),
          ...paid.map((payment) => ({
            payment: { ...payment, id: PaymentId.make(`${payment.id}_again`) },
            claim: claimOf(`paid-${payment.orderId}`)
          })),
          { payment: twiceA, claim: claimOf("twice") },
          { payment: twiceB, claim: claimOf("twice") }
        ]
        const before = yield* Metric.value(claimBatchSize)
        const answers = yield* Effect.forEach(requests, ({ claim, payment }) => repo.insertClaimed(payment, claim), {
          concurrency: "unbounded"
        })
        const after = yield* Metric.value(claimBatchSize)
        assert.isAbove(after.sum - before.sum - (after.count - before.count), 0, "no statement made two claims")

        for (const [i, payment] of fresh.entries()) {
          const answer = answers[i]!
          assert.isTrue(Option.isSome(answer) && answer.value.created, `fresh ${i}`)
          assert.strictEqual(Option.getOrThrow(answer).payment.id, payment.id)
          assert.strictEqual(Option.getOrThrow(answer).payment.amountCents, payment.amountCents)
          assert.strictEqual(yield* claimsOf(`fresh-${payment.orderId}`), 1)
        }
        for (const [i, payment] of held.entries()) {
          assert.isTrue(Option.isNone(answers[fresh.length + i]!), `held ${i}`)
          assert.isTrue(Option.isNone(yield* repo.findByOrderId(payment.orderId)), `no payment behind held ${i}`)
        }
        for (const [i, payment] of paid.entries()) {
          const answer = answers[fresh.length + held.length + i]!
          assert.isTrue(Option.isSome(answer) && !answer.value.created, `paid ${i}`)
          assert.strictEqual(Option.getOrThrow(answer).payment.id, payment.id, "the order's first payment")
        }
        // Two statements run at once: either may win the key, never both.
        const won = answers.slice(-2).map(Option.isSome)
        assert.deepStrictEqual(won.toSorted(), [false, true], "one of the two won the key")
        const loser = won[0] ? twiceB : twiceA
        assert.isTrue(Option.isNone(yield* repo.findByOrderId(loser.orderId)), "and only the winner has a payment")
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live(
    "a charge whose insert fails fails alone: the others of its statement are sent again one at a time",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const payments = Array.from({ length: 12 }, () => newPayment())
        yield* refuseInsertsFor(payments[5]!.orderId)
        const before = yield* Metric.value(claimBatchSize)
        const answers = yield* Effect.forEach(
          payments,
          (payment) => Effect.result(repo.insertClaimed(payment, claimOf(`refused-${payment.orderId}`))),
          { concurrency: "unbounded" }
        )
        const after = yield* Metric.value(claimBatchSize)
        assert.isAbove(after.sum - before.sum - (after.count - before.count), 0, "the charges shared a statement")
        for (const [i, payment] of payments.entries()) {
          const claims = yield* claimsOf(`refused-${payment.orderId}`)
          const stored = Option.isSome(yield* repo.findByOrderId(payment.orderId))
          if (i === 5) {
            // Its statement failed: it holds no claim and has no payment, so it may be sent again at once.
            assert.strictEqual(answers[i]!._tag, "Failure")
            assert.deepStrictEqual([claims, stored], [0, false])
          } else {
            assert.strictEqual(answers[i]!._tag, "Success", `request ${i}`)
            assert.deepStrictEqual([claims, stored], [1, true], `request ${i}`)
          }
        }
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live(
    "an unknown outcome is asked about again only after its backoff, and never failed for being unknown",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const { payment } = yield* repo.insertOrGet(newPayment())
        yield* repo.settle(payment.id, { status: "pending_unknown" })
        const due = (yield* repo.dueForCheck(Duration.seconds(60), 1000)).map((p) => p.id)
        assert.include(due, payment.id)
        assert.strictEqual(yield* repo.scheduleCheck(payment.id, Duration.seconds(30)), 1)
        const later = (yield* repo.dueForCheck(Duration.seconds(60), 1000)).map((p) => p.id)
        assert.notInclude(later, payment.id, "not asked again before its backoff")
        yield* age(payment.id, 3600)
        assert.strictEqual(Option.getOrThrow(yield* repo.findById(payment.id)).status, "pending_unknown")
        const unknown = yield* repo.unknownOutcomes
        assert.isAtLeast(unknown.count, 1)
        assert.isDefined(unknown.oldest)
        // The processor's success wins over the "never processed" verdict of an earlier version...
        yield* repo.settle(payment.id, { status: "failed", failureReason: notProcessed })
        assert.isTrue(Option.isNone(yield* repo.beginAttempt(payment.id)), "a settled payment starts no attempt")
        const corrected = yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: "ch_1" })
        assert.strictEqual(corrected.status, "succeeded")
        // ...but nothing else moves a settled payment.
        const still = yield* repo.settle(payment.id, { status: "failed", failureReason: "card_declined" })
        assert.strictEqual(still.status, "succeeded")
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live(
    "settlements at once share statements, each guarded as its own, and each stores its key's result",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const sql = yield* SqlClient.SqlClient
        const payments = yield* Effect.forEach(Array.from({ length: 24 }, () => newPayment()), (input) =>
          Effect.map(repo.insertOrGet(input), ({ payment }) => payment))
        // One already succeeded, one failed as never processed (which a success then corrects), the rest pending.
        yield* repo.settle(payments[3]!.id, { status: "succeeded", providerChargeId: "ch_before" })
        yield* repo.settle(payments[7]!.id, { status: "failed", failureReason: notProcessed })
        const keyOf = (i: number) => ({ caller: "order", key: `settle-batch-${n}-${i}` })
        for (const [i] of payments.entries()) {
          yield* sql`INSERT INTO idempotency_records (caller, key, fingerprint, state, locked_until)
            VALUES (${keyOf(i).caller}, ${keyOf(i).key}, 'f', 'in_flight', now() + interval '1 minute')`
        }
        const target = (i: number) =>
          i === 3
            ? { status: "failed" as const, failureReason: "card_declined" }
            : i === 7 || i % 3 === 0
            ? { status: "succeeded" as const, providerChargeId: `ch_${i}` }
            : i % 3 === 1
            ? { status: "failed" as const, failureReason: "card_declined" }
            : { status: "pending_unknown" as const }
        const before = yield* Metric.value(settleBatchSize)
        const settled = yield* Effect.forEach(
          payments,
          (payment, i) =>
            repo.settle(payment.id, target(i), { ...keyOf(i), response: { paymentId: payment.id } }),
          { concurrency: "unbounded" }
        )
        const after = yield* Metric.value(settleBatchSize)
        assert.isAbove(after.sum - before.sum - (after.count - before.count), 0, "no statement settled two payments")

        for (const [i, payment] of settled.entries()) {
          assert.strictEqual(payment.id, payments[i]!.id)
          // Nothing but a success moves a settled payment: the one that succeeded before stays so.
          const expected = i === 3 ? "succeeded" : target(i).status
          assert.strictEqual(payment.status, expected, `payment ${i}`)
        }
        assert.strictEqual(settled[3]!.providerChargeId, "ch_before")
        assert.strictEqual(settled[7]!.providerChargeId, "ch_7")
        assert.strictEqual(settled[1]!.failureReason, "card_declined")
        // Every key's result is stored, that of the payment that did not move too.
        const records = yield* sql<{ key: string; state: string; response: { paymentId: string } }>`
          SELECT key, state, response FROM idempotency_records WHERE key LIKE ${`settle-batch-${n}-%`}`
        assert.strictEqual(records.length, payments.length)
        for (const record of records) {
          const i = Number(record.key.split("-").at(-1))
          assert.strictEqual(record.state, "completed")
          assert.strictEqual(record.response.paymentId, payments[i]!.id)
        }
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live(
    "an order given up before any charge gets a voided payment that stops every later charge",
    () =>
      Effect.gen(function*() {
        const repo = yield* PaymentRepo
        const input = newPayment()
        const voided = yield* repo.voidOrGet(input)
        assert.strictEqual(voided.status, "failed")
        assert.strictEqual(voided.failureReason, "voided")
        const late = yield* repo.insertOrGet({ ...input, id: PaymentId.make(`pay_late${n}`) })
        assert.isFalse(late.created)
        assert.strictEqual(late.payment.status, "failed")
        const other = newPayment()
        const { payment } = yield* repo.insertOrGet(other)
        assert.strictEqual((yield* repo.voidOrGet(other)).id, payment.id, "an existing payment is never voided over")
      }).pipe(Effect.provide(Repo)),
    60_000
  )

  it.live("concurrent refunds can never exceed the charged amount", () =>
    Effect.gen(function*() {
      const repo = yield* PaymentRepo
      const refunds = yield* RefundRepo
      const { payment } = yield* repo.insertOrGet(newPayment(1000))
      yield* repo.settle(payment.id, { status: "succeeded", providerChargeId: "ch_2" })
      const attempts = yield* Effect.forEach(
        Array.from({ length: 10 }, (_, i) => i),
        (i) =>
          Effect.result(refunds.beginRefund({
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
        if (a._tag === "Success") yield* refunds.confirmRefund(a.success.id, `pr_${a.success.seq}`)
      }
      const after = Option.getOrThrow(yield* repo.findById(payment.id))
      assert.strictEqual(after.refundedCents, 900)
      assert.strictEqual(after.status, "succeeded")
      const last = yield* refunds.beginRefund({
        id: RefundId.make(`re_last${n}`),
        paymentId: payment.id,
        amountCents: undefined,
        reason: "",
        idempotencyKey: IdempotencyKey.make("rl")
      })
      assert.strictEqual(last.amountCents, 100)
      yield* refunds.confirmRefund(last.id, "pr_last")
      yield* refunds.confirmRefund(last.id, "pr_last")
      const full = Option.getOrThrow(yield* repo.findById(payment.id))
      assert.strictEqual(full.refundedCents, 1000, "settling twice adds once")
      assert.strictEqual(full.status, "refunded")
    }).pipe(Effect.provide(Repo)), 60_000)
})
