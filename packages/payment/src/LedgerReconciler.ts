import { CurrencyCode, IdempotencyKey, OrderId, PaymentId, PaymentMethod, Price } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Clock, Duration, Effect, Layer, Metric, Option, Schema } from "effect"
import { GuardedGateway } from "./GuardedGateway.ts"
import { PaymentConfig } from "./PaymentConfig.ts"
import type { ChargePage, ProviderCharge } from "./PaymentGateway.ts"
import { reconciliationRepairs } from "./PaymentMetrics.ts"
import type { PaymentRecord } from "./PaymentRecord.ts"
import { PaymentRepo } from "./PaymentRepo.ts"
import { RefundRepo } from "./RefundRepo.ts"
import { Refunds } from "./Refunds.ts"
import { Settlement } from "./Settlement.ts"

/** What the comparison of the processor's ledger with the payments found and repaired. */
export type RepairKind =
  /** A succeeded charge for an order with no payment here: recorded, and refunded. */
  | "orphan_charge"
  /** A succeeded charge on a payment marked failed: refunded. */
  | "charge_on_failed_payment"
  /** A succeeded charge on a payment still waiting for its outcome: the payment is settled succeeded. */
  | "unknown_outcome_settled"
  /** A second succeeded charge for an order that already has its charge: reported for an operator. */
  | "duplicate_charge"
  /** A payment refunded here whose charge the processor still holds in part: reported for an operator. */
  | "refund_missing"

const repaired = (kind: RepairKind, charge: ProviderCharge, detail: string) =>
  Effect.logWarning(`ledger reconciliation: ${kind}`, detail).pipe(
    Effect.annotateLogs({ charge_id: charge.id, order_id: charge.orderId ?? "" }),
    Effect.andThen(Metric.update(Metric.withAttributes(reconciliationRepairs, { kind }), 1))
  )

const OrphanFields = Schema.Struct({
  orderId: OrderId,
  amountCents: Price,
  currency: CurrencyCode,
  paymentMethod: PaymentMethod
})

/**
 * One comparison of the processor's charges created in the last LEDGER_RECONCILE_WINDOW (leaving the youngest
 * LEDGER_RECONCILE_DELAY to the payments' own settlement) with the payments, as shops run it against their
 * processor. Every succeeded charge must belong to a succeeded payment of its order; anything else is money taken
 * without a sale, and is given back through a refund the processor must confirm. Each repair is logged and counted
 * (`payment_reconciliation_repairs_total{kind}`).
 */
export const compareLedgerOnce = traced("LedgerReconciler.compareLedgerOnce")(function*() {
  const config = yield* PaymentConfig
  const gateway = yield* GuardedGateway
  const payments = yield* PaymentRepo
  const refundRepo = yield* RefundRepo
  const refunds = yield* Refunds
  const settlement = yield* Settlement
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
  const window = {
    from: now - Math.round(Duration.toSeconds(config.ledgerWindow)),
    until: now - Math.round(Duration.toSeconds(config.ledgerDelay))
  }

  const refundAll = (payment: PaymentRecord, stray: boolean) =>
    refunds.refundRest(payment, { reason: "reconciliation", key: `reconciliation-${payment.id}`, stray })
  // A refund being sent (or parked for an operator) already answers the drift: the reconciler sends it.
  const refundUnderway = (payment: PaymentRecord) =>
    Effect.map(
      refundRepo.refundsOf(payment.id),
      (found) => found.some((refund) => refund.status === "pending" || refund.status === "parked")
    )

  const examine = (charge: ProviderCharge) =>
    Effect.gen(function*() {
      if (charge.status !== "succeeded" || (charge.amountRefunded ?? 0) >= charge.amount) return
      const orderId = Schema.decodeUnknownOption(OrderId)(charge.orderId)
      if (Option.isNone(orderId)) return yield* Effect.logError("a charge without an order id", charge.id)
      const found = yield* payments.findByOrderId(orderId.value)
      if (Option.isNone(found)) {
        const fields = Schema.decodeUnknownOption(OrphanFields)({ ...charge, amountCents: charge.amount })
        if (Option.isNone(fields)) return yield* Effect.logError("an orphan charge that cannot be recorded", charge.id)
        const stray = yield* payments.insertStray({
          ...fields.value,
          id: yield* PaymentId.generate,
          idempotencyKey: IdempotencyKey.make("reconciliation"),
          providerChargeId: charge.id
        })
        if (Option.isNone(stray)) return // its payment appeared meanwhile: compared on the next pass
        yield* repaired("orphan_charge", charge, `order ${orderId.value}: no payment; refunding ${charge.amount}`)
        return yield* refundAll(stray.value, true)
      }
      const payment = found.value
      if (payment.providerChargeId !== undefined && payment.providerChargeId !== charge.id) {
        yield* repaired("duplicate_charge", charge, `order ${orderId.value} was charged by ${payment.providerChargeId}`)
        return yield* Effect.logError("a second charge for one order; refund it with the processor", charge.id)
      }
      switch (payment.status) {
        case "pending":
        case "pending_unknown": {
          const settled = yield* settlement.reconcile(payment, { resend: false })
          if (settled.status === payment.status) return
          return yield* repaired("unknown_outcome_settled", charge, `payment ${payment.id} settled by its charge`)
        }
        case "failed": {
          if (yield* refundUnderway(payment)) return
          // An earlier version's "never processed" verdict gives way to the processor's word; the order failed, so
          // the money goes back either way.
          const current = yield* payments.settle(payment.id, { status: "succeeded", providerChargeId: charge.id })
          yield* repaired("charge_on_failed_payment", charge, `payment ${payment.id} was ${payment.failureReason}`)
          return yield* refundAll(current, current.status === "failed")
        }
        case "refunded":
          return yield* repaired("refund_missing", charge, `payment ${payment.id} is refunded here, not there`)
        case "succeeded":
          return
      }
    }).pipe(Effect.catchCause((cause) => Effect.logWarning("ledger comparison of a charge failed", charge.id, cause)))

  let startingAfter: string | undefined = undefined
  let examined = 0
  for (let page = 0; page < 1_000; page++) {
    const listed: ChargePage = yield* gateway.listCharges({ ...window, startingAfter, limit: 100 })
    for (const charge of listed.charges) yield* examine(charge)
    examined += listed.charges.length
    const last: ProviderCharge | undefined = listed.charges.at(-1)
    if (!listed.hasMore || last === undefined) break
    startingAfter = last.id
  }
  return { examined }
})

/** Runs {@link compareLedgerOnce} every LEDGER_RECONCILE_INTERVAL, the first one interval after start-up. */
export const LedgerReconciler = Layer.effectDiscard(Effect.gen(function*() {
  const config = yield* PaymentConfig
  const pass = compareLedgerOnce().pipe(
    Effect.tap(({ examined }) => Effect.logDebug("ledger reconciliation pass", { examined })),
    Effect.catchCause((cause) => Effect.logWarning("ledger reconciliation pass failed; next pass soon", cause))
  )
  yield* Effect.sleep(config.ledgerInterval).pipe(Effect.andThen(pass), Effect.forever, Effect.forkScoped)
}))
