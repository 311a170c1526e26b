import {
  type Cents,
  type Currency,
  type IdempotencyKey,
  OrderId,
  PaymentId,
  type PaymentMethod,
  type ServiceUnavailable
} from "@shop/domain"
import { makeKeyedBatches } from "@shop/service-defaults/KeyedBatches"
import { traced } from "@shop/service-defaults/TracedFunction"
import { type Cause, Context, Duration, Effect, Layer, Metric, Option, Result, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import {
  claimKey,
  claimKeysOf,
  completeKey,
  completeKeysOf,
  type KeyClaim,
  type KeyResult
} from "./IdempotencyStore.ts"
import { claimBatchSize, settleBatchSize } from "./PaymentMetrics.ts"
import { PaymentKeys, type PaymentRecord, PaymentRow } from "./PaymentRecord.ts"
import { collapse } from "./PaymentSql.ts"

export interface NewPayment {
  readonly id: PaymentId
  readonly orderId: OrderId
  readonly amountCents: Cents
  readonly currency: Currency
  readonly paymentMethod: PaymentMethod
  readonly idempotencyKey: IdempotencyKey
}

/** One charge's payment, inserted behind its idempotency key's claim, in a batch of them. */
interface ClaimedInsert {
  readonly payment: NewPayment
  readonly claim: KeyClaim
}

/** What a claimed insert did: whether its key was won, and the payment it inserted (none when the order had one). */
interface ClaimedOutcome {
  readonly gated: boolean
  readonly inserted: Option.Option<PaymentRecord>
}

/** One payment's settlement in a batch of them, with its key's result. */
interface SettleRequest {
  readonly id: PaymentId
  readonly to: Settlement
  readonly keyResult: KeyResult | undefined
}

export interface Settlement {
  readonly status: "pending_unknown" | "succeeded" | "failed"
  readonly providerChargeId?: string | undefined
  readonly failureReason?: string | undefined
}

/**
 * failure_reason of a payment an earlier version failed because the processor did not know it after a grace period;
 * the processor's word that it succeeded still wins (`settle`).
 */
export const notProcessed = "not_processed"

/** failure_reason of the tombstone that stops every later charge of an order that was given up. */
export const voidedPayment = "voided"

/** failure_reason of a charge the processor held for an order this service had no payment for. */
export const orphanCharge = "orphan_charge"

const toSeconds = (duration: Duration.Duration) => Math.max(0, Duration.toMillis(duration)) / 1000

/** Payments in PostgreSQL. Every status change is guarded by the state it leaves. */
export class PaymentRepo extends Context.Service<PaymentRepo, {
  /** One payment per order: inserts it, or returns the order's existing payment (`created` false). */
  readonly insertOrGet: (
    input: NewPayment
  ) => Effect.Effect<{ readonly payment: PaymentRecord; readonly created: boolean }, ServiceUnavailable>
  /**
   * {@link insertOrGet} behind the request's claim of its idempotency key, in one statement: None when the key was
   * not won, in which case no payment was inserted either. A failed insert takes the claim with it. The charges that
   * come while two such statements run share the next one, each row claimed and inserted as in a statement of its
   * own.
   */
  readonly insertClaimed: (
    input: NewPayment,
    claim: KeyClaim
  ) => Effect.Effect<
    Option.Option<{ readonly payment: PaymentRecord; readonly created: boolean }>,
    ServiceUnavailable
  >
  /**
   * The order's payment, or, when it has none, a `failed` tombstone (`voided`) that makes every later charge of the
   * order a decline: once an order is given up, nothing can charge it any more.
   */
  readonly voidOrGet: (input: NewPayment) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /**
   * Records a charge the processor holds for an order without a payment here (found by the ledger comparison) as a
   * `failed` payment (`orphan_charge`), so that nothing can charge the order again; None when the order has one.
   */
  readonly insertStray: (
    input: NewPayment & { readonly providerChargeId: string }
  ) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly findById: (id: PaymentId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  readonly findByOrderId: (orderId: OrderId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /**
   * Moves a pending or pending_unknown payment on; a payment already settled is returned unchanged, except that the
   * processor's word that a charge succeeded overrides an earlier "never processed" verdict: money taken is never
   * hidden. `keyResult` is stored under its key in the same statement whether or not the payment moved (the
   * request's idempotency record), so that the request is done in one round trip.
   */
  readonly settle: (
    id: PaymentId,
    to: Settlement,
    keyResult?: KeyResult
  ) => Effect.Effect<PaymentRecord, ServiceUnavailable>
  /**
   * Marks the start of an attempt (updated_at = now) on an unsettled payment; None when it is settled already, in
   * which case nothing may be sent.
   */
  readonly beginAttempt: (id: PaymentId) => Effect.Effect<Option.Option<PaymentRecord>, ServiceUnavailable>
  /**
   * Payments whose outcome is due to be asked about again: pending_unknown ones whose next check has come, and
   * pending ones untouched for `idleFor` (their request died); the longest waiting first.
   */
  readonly dueForCheck: (
    idleFor: Duration.Duration,
    limit: number
  ) => Effect.Effect<ReadonlyArray<PaymentRecord>, ServiceUnavailable>
  /** Counts a check that got no answer and sets when to ask again; the number of checks so far. */
  readonly scheduleCheck: (id: PaymentId, delay: Duration.Duration) => Effect.Effect<number, ServiceUnavailable>
  /** How many payments have an unknown outcome, and when the oldest of them was created. */
  readonly unknownOutcomes: Effect.Effect<
    { readonly count: number; readonly oldest: Date | undefined },
    ServiceUnavailable
  >
}>()("payment/PaymentRepo") {
  static readonly layer = Layer.effect(
    PaymentRepo,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = <Req extends Schema.Top>(
        Request: Req,
        execute: (request: Req["Encoded"]) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
      ) => SqlSchema.findAll({ Request, Result: PaymentRow, execute })
      const first = <A>(found: ReadonlyArray<A>) => Option.fromNullishOr(found[0])

      // Every insert of a payment names the same columns, in this order.
      const insertPayment = sql`INSERT INTO payments (id, order_id, status, amount_cents, currency, payment_method,
        provider_idempotency_key, provider_charge_id, failure_reason, idempotency_key)`

      const byId = rows(PaymentId, (id) => sql`SELECT * FROM payments WHERE id = ${id}`)
      const byOrder = rows(OrderId, (orderId) => sql`SELECT * FROM payments WHERE order_id = ${orderId}`)
      const existingOf = (orderId: OrderId) =>
        Effect.flatMap(byOrder(orderId), ([existing]) =>
          existing === undefined
            ? Effect.die(new Error(`payment of ${orderId} vanished`))
            : Effect.succeed(existing))

      const insert = rows(
        Schema.Struct({
          id: PaymentId,
          orderId: OrderId,
          status: Schema.String,
          amountCents: Schema.Int,
          currency: Schema.String,
          paymentMethod: Schema.String,
          providerKey: Schema.String,
          providerChargeId: Schema.NullOr(Schema.String),
          failureReason: Schema.NullOr(Schema.String),
          idempotencyKey: Schema.String
        }),
        (input) =>
          sql`${insertPayment}
            VALUES (${input.id}, ${input.orderId}, ${input.status}, ${input.amountCents}, ${input.currency},
              ${input.paymentMethod}, ${input.providerKey}, ${input.providerChargeId}, ${input.failureReason},
              ${input.idempotencyKey})
            ON CONFLICT (order_id) DO NOTHING
            RETURNING *`
      )
      const pending = (input: NewPayment) => ({
        ...input,
        status: "pending",
        providerKey: PaymentKeys.charge(input.orderId),
        providerChargeId: null,
        failureReason: null
      })

      const insertOrGet = traced("PaymentRepo.insertOrGet")(function*(input: NewPayment) {
        const [inserted] = yield* insert(pending(input))
        if (inserted !== undefined) return { payment: inserted, created: true }
        return { payment: yield* existingOf(input.orderId), created: false }
      }, collapse)

      // Each statement answers, per request: whether its key was won, and the inserted payment's columns (null when
      // the key was not won or the order had a payment already).
      const decodeClaimed = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({
        forOrder: Schema.String,
        gated: Schema.Boolean,
        id: Schema.NullOr(Schema.String)
      })))
      const decodeRow = Schema.decodeUnknownEffect(PaymentRow)
      const claimedAnswers = (requests: ReadonlyArray<ClaimedInsert>) => (found: ReadonlyArray<unknown>) =>
        Effect.gen(function*() {
          const outcomes = yield* decodeClaimed(found)
          const answers = new Map<string, ClaimedOutcome>()
          for (const [i, outcome] of outcomes.entries()) {
            answers.set(outcome.forOrder, {
              gated: outcome.gated,
              inserted: outcome.id === null ? Option.none() : Option.some(yield* decodeRow(found[i]))
            })
          }
          return yield* Effect.forEach(requests, ({ payment }) => {
            const answer = answers.get(payment.orderId)
            return answer === undefined
              ? Effect.die(new Error(`the statement did not answer the charge of ${payment.orderId}`))
              : Effect.succeed(answer)
          })
        })
      // One charge by a statement of its own: with little load every batch is one.
      const insertOne = ({ claim, payment }: ClaimedInsert) => {
        const row = pending(payment)
        return sql`
          WITH gate AS (${claimKey(sql, claim)}),
          inserted AS (
            ${insertPayment}
            SELECT ${row.id}::text, ${row.orderId}::text, ${row.status}::text, ${row.amountCents}::bigint,
              ${row.currency}::text, ${row.paymentMethod}::text, ${row.providerKey}::text, NULL, NULL,
              ${row.idempotencyKey}::text
            FROM gate
            ON CONFLICT (order_id) DO NOTHING
            RETURNING *)
          SELECT ${row.orderId}::text AS "forOrder", EXISTS (SELECT 1 FROM gate) AS gated, inserted.*
          FROM (SELECT 1) AS one LEFT JOIN inserted ON true`
      }
      const insertMany = (requests: ReadonlyArray<ClaimedInsert>) => {
        const inputs = requests.map(({ payment }) => pending(payment))
        const column = <A>(f: (row: (typeof inputs)[number], claim: KeyClaim) => A) =>
          inputs.map((row, i) => f(row, requests[i]!.claim))
        return sql`
          WITH input AS (
            SELECT * FROM unnest(
              ${column((r) => r.id)}::text[], ${column((r) => r.orderId)}::text[],
              ${column((r) => r.amountCents)}::bigint[], ${column((r) => r.currency)}::text[],
              ${column((r) => r.paymentMethod)}::text[], ${column((r) => r.providerKey)}::text[],
              ${column((r) => r.idempotencyKey)}::text[], ${column((_, c) => c.caller)}::text[],
              ${column((_, c) => c.key)}::text[], ${column((_, c) => c.fingerprint)}::text[],
              ${column((_, c) => c.lockSeconds)}::float8[]
            ) AS i(id, order_id, amount_cents, currency, payment_method, provider_key, idempotency_key, caller, key,
              fingerprint, lock_seconds)
          ),
          gate AS (${claimKeysOf(sql, "input")}),
          inserted AS (
            ${insertPayment}
            SELECT i.id, i.order_id, 'pending', i.amount_cents, i.currency, i.payment_method, i.provider_key, NULL,
              NULL, i.idempotency_key
            FROM input i JOIN gate g ON g.caller = i.caller AND g.key = i.key
            ON CONFLICT (order_id) DO NOTHING
            RETURNING *)
          SELECT i.order_id AS "forOrder", g.key IS NOT NULL AS gated, p.*
          FROM input i LEFT JOIN gate g ON g.caller = i.caller AND g.key = i.key
            LEFT JOIN inserted p ON p.order_id = i.order_id`
      }
      const insertAlone = (request: ClaimedInsert) =>
        Effect.result(
          Effect.flatMap(insertOne(request), claimedAnswers([request])).pipe(Effect.map((answers) => answers[0]!))
        )
      // Two requests of one key, or two charges of one order, never share a statement: a statement cannot claim a
      // key twice, and the second of an order's inserts must see the first. A batch whose statement fails (one
      // charge's insert refused) wrote nothing, and is sent again one charge at a time, so that the others do not
      // fail with it; an answer that does not decode was written, and is a defect, never sent again.
      const claimedBatches = yield* makeKeyedBatches<
        ClaimedInsert,
        Result.Result<ClaimedOutcome, SqlError | Schema.SchemaError>,
        never
      >({
        maxBatch: 100,
        inFlight: 2,
        conflicts: (a, b) =>
          a.payment.orderId === b.payment.orderId || (a.claim.caller === b.claim.caller && a.claim.key === b.claim.key),
        run: (requests) =>
          Effect.andThen(
            Metric.update(claimBatchSize, requests.length),
            requests.length === 1
              ? Effect.map(insertAlone(requests[0]!), (result) => [result])
              : Effect.flatMap(insertMany(requests), claimedAnswers(requests)).pipe(
                Effect.map((answers) => answers.map(Result.succeed)),
                Effect.catchTag("SqlError", () => Effect.forEach(requests, insertAlone, { concurrency: "unbounded" })),
                Effect.orDie
              )
          )
      })
      const insertClaimed = traced("PaymentRepo.insertClaimed")(
        function*(payment: NewPayment, claim: KeyClaim) {
          const outcome = yield* Effect.fromResult(yield* claimedBatches("claim", { payment, claim }))
          if (!outcome.gated) return Option.none()
          if (Option.isSome(outcome.inserted)) return Option.some({ payment: outcome.inserted.value, created: true })
          return Option.some({ payment: yield* existingOf(payment.orderId), created: false })
        },
        collapse
      )

      const voidOrGet = traced("PaymentRepo.voidOrGet")(function*(input: NewPayment) {
        const [voided] = yield* insert({ ...pending(input), status: "failed", failureReason: voidedPayment })
        return voided ?? (yield* existingOf(input.orderId))
      }, collapse)

      const insertStray = traced("PaymentRepo.insertStray")(
        function*(input: NewPayment & { readonly providerChargeId: string }) {
          const [stray] = yield* insert({
            ...input,
            status: "failed",
            providerKey: `orphan:${input.providerChargeId}`,
            providerChargeId: input.providerChargeId,
            failureReason: orphanCharge
          })
          return Option.fromNullishOr(stray)
        },
        collapse
      )

      // The settlements that come while two statements run are stored by the next one, with the keys' results
      // (KeyedBatches, no delay of its own: with few charges each goes alone, at once). Each row is guarded as a
      // settlement of its own: only an unsettled payment moves (or a payment failed as never processed, which the
      // processor then showed succeeded); a key's result is stored whether its payment moved or not, as before.
      const decodeSettled = Schema.decodeUnknownEffect(Schema.Array(PaymentRow))
      // One settlement by a statement of its own: with little load every batch is one, and PostgreSQL spends less on
      // it than on the batch's statement with one row in it.
      const settleOne = ({ id, keyResult, to }: SettleRequest) =>
        sql`${keyResult === undefined ? sql`` : sql`WITH completed AS (${completeKey(sql, keyResult)})`}
          UPDATE payments SET status = ${to.status},
            provider_charge_id = COALESCE(${to.providerChargeId ?? null}, provider_charge_id),
            failure_reason = ${to.failureReason ?? null}, updated_at = now()
          WHERE id = ${id} AND (status IN ('pending', 'pending_unknown')
            OR (${to.status} = 'succeeded' AND status = 'failed' AND failure_reason = ${notProcessed}))
          RETURNING *`.pipe(Effect.flatMap(decodeSettled), Effect.map(([settled]) => [Option.fromNullishOr(settled)]))
      const settleMany = (requests: ReadonlyArray<SettleRequest>) => {
        const column = (f: (request: SettleRequest) => string | undefined) => requests.map((r) => f(r) ?? "")
        return sql`
          WITH input AS (
            SELECT * FROM unnest(
              ${column((r) => r.id)}::text[], ${column((r) => r.to.status)}::text[],
              ${column((r) => r.to.providerChargeId)}::text[], ${column((r) => r.to.failureReason)}::text[],
              ${column((r) => r.keyResult?.caller)}::text[], ${column((r) => r.keyResult?.key)}::text[],
              ${column((r) => r.keyResult === undefined ? undefined : JSON.stringify(r.keyResult.response))}::text[]
            ) AS i(id, status, provider_charge_id, failure_reason, caller, key, response)
          ),
          completed AS (${completeKeysOf(sql, "input")})
          UPDATE payments p SET status = i.status,
            provider_charge_id = COALESCE(nullif(i.provider_charge_id, ''), p.provider_charge_id),
            failure_reason = nullif(i.failure_reason, ''), updated_at = now()
          FROM input i
          WHERE p.id = i.id AND (p.status IN ('pending', 'pending_unknown')
            OR (i.status = 'succeeded' AND p.status = 'failed' AND p.failure_reason = ${notProcessed}))
          RETURNING p.*`.pipe(
          Effect.flatMap(decodeSettled),
          Effect.map((settled) => {
            const moved = new Map(settled.map((payment) => [payment.id, payment]))
            return requests.map((request) => Option.fromNullishOr(moved.get(request.id)))
          })
        )
      }
      const settleBatches = yield* makeKeyedBatches<
        SettleRequest,
        Option.Option<PaymentRecord>,
        SqlError | Schema.SchemaError
      >({
        maxBatch: 100,
        inFlight: 2,
        conflicts: (a, b) => a.id === b.id,
        run: (requests) =>
          Effect.andThen(
            Metric.update(settleBatchSize, requests.length),
            requests.length === 1 ? settleOne(requests[0]!) : settleMany(requests)
          )
      })
      const settle = traced("PaymentRepo.settle")(
        function*(id: PaymentId, to: Settlement, keyResult?: KeyResult) {
          const settled = yield* settleBatches("settle", { id, to, keyResult })
          if (Option.isSome(settled)) return settled.value
          const [current] = yield* byId(id)
          return current ?? (yield* Effect.die(new Error(`payment ${id} vanished`)))
        },
        collapse
      )

      const beginAttemptRow = rows(
        PaymentId,
        (id) =>
          sql`UPDATE payments SET updated_at = now() WHERE id = ${id} AND status IN ('pending', 'pending_unknown')
          RETURNING *`
      )
      const dueRows = rows(
        Schema.Struct({ seconds: Schema.Number, limit: Schema.Int }),
        ({ limit, seconds }) =>
          sql`SELECT * FROM payments
          WHERE (status = 'pending_unknown'
              OR (status = 'pending' AND updated_at < now() - make_interval(secs => ${seconds})))
            AND next_check_at <= now()
          ORDER BY next_check_at LIMIT ${limit}`
      )
      const scheduleRow = SqlSchema.findOne({
        Request: Schema.Struct({ id: PaymentId, seconds: Schema.Number }),
        Result: Schema.Struct({ checks: Schema.Int }),
        execute: ({ id, seconds }) =>
          sql`UPDATE payments SET checks = checks + 1, next_check_at = now() + make_interval(secs => ${seconds})
            WHERE id = ${id} RETURNING checks`
      })
      const unknownRow = SqlSchema.findOne({
        Request: Schema.Void,
        Result: Schema.Struct({ count: Schema.Int, oldest: Schema.NullOr(Schema.Date) }),
        execute: () =>
          sql`SELECT count(*)::int AS count, min(created_at) AS oldest FROM payments WHERE status = 'pending_unknown'`
      })
      // Both always return one row: its absence is a bug.
      const oneRow = <A, R>(
        effect: Effect.Effect<A, SqlError | Schema.SchemaError | Cause.NoSuchElementError, R>
      ): Effect.Effect<A, SqlError | Schema.SchemaError, R> =>
        effect.pipe(Effect.catchTag("NoSuchElementError", (error) => Effect.die(error)))

      return PaymentRepo.of({
        insertOrGet,
        insertClaimed,
        voidOrGet,
        insertStray,
        findById: (id) => collapse(Effect.map(byId(id), first)),
        findByOrderId: (orderId) => collapse(Effect.map(byOrder(orderId), first)),
        settle,
        beginAttempt: (id) => collapse(Effect.map(beginAttemptRow(id), first)),
        dueForCheck: (idleFor, limit) => collapse(dueRows({ seconds: toSeconds(idleFor), limit })),
        scheduleCheck: (id, delay) =>
          collapse(oneRow(Effect.map(scheduleRow({ id, seconds: toSeconds(delay) }), (row) => row.checks))),
        unknownOutcomes: collapse(oneRow(Effect.map(unknownRow(undefined), (row) => ({
          count: row.count,
          oldest: row.oldest ?? undefined
        }))))
      })
    })
  )
}
