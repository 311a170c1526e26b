import { traced } from "@shop/service-defaults/TracedFunction"
import { Clock, Context, Effect, Layer } from "effect"
import { randomUUID } from "node:crypto"
import { type ApiError, cardDeclined, invalidRequest, resourceMissing } from "./ApiError.ts"
import type { Charge, ChargeParams, LedgerSnapshot, Refund, RefundParams } from "./Model.ts"
import { outcomeOf, testPaymentMethods } from "./TestCards.ts"

/** A page request of charges by creation time. */
export interface ChargeWindow {
  readonly gte: number | undefined
  readonly lt: number | undefined
  readonly limit: number
  readonly startingAfter: string | undefined
}

const newId = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 24)}`

/**
 * The processor's books: every charge (declined ones as `failed`) and every refund, in memory. Each check-and-write
 * runs inside one synchronous block, which no other fiber can interleave with, so concurrent refunds of one charge
 * can never exceed its amount.
 */
export class Ledger extends Context.Service<Ledger, {
  /** Charges the card; a decline is recorded as a failed charge and then fails with a 402 card error. */
  readonly charge: (params: ChargeParams, idempotencyKey: string) => Effect.Effect<Charge, ApiError>
  readonly refund: (params: RefundParams) => Effect.Effect<Refund, ApiError>
  readonly getCharge: (id: string) => Effect.Effect<Charge, ApiError>
  readonly getRefund: (id: string) => Effect.Effect<Refund, ApiError>
  /** The charge a request with this idempotency key created: how a client recovers from a lost reply. */
  readonly chargeByIdempotencyKey: (key: string) => Effect.Effect<Charge, ApiError>
  readonly chargesOfOrder: (orderId: string) => Effect.Effect<ReadonlyArray<Charge>>
  readonly charges: Effect.Effect<ReadonlyArray<Charge>>
  /**
   * One page of the charges created in `[gte, lt)` (unix seconds), newest first, like Stripe's list: at most `limit`,
   * after the charge `startingAfter` of the previous page; `hasMore` when another page follows.
   */
  readonly chargesCreated: (window: ChargeWindow) => Effect.Effect<{
    readonly data: ReadonlyArray<Charge>
    readonly hasMore: boolean
  }>
  readonly snapshot: Effect.Effect<LedgerSnapshot>
  readonly reset: Effect.Effect<void>
}>()("@shop/payment/simulator/Ledger") {
  static readonly layer = Layer.sync(Ledger, () => makeLedger())
}

const makeLedger = () => {
  const charges = new Map<string, Charge>()
  const refunds = new Map<string, Refund>()
  const chargeByKey = new Map<string, string>()
  const chargesByOrder = new Map<string, Array<string>>()

  const findCharge = (id: string) =>
    Effect.suspend(() => {
      const charge = charges.get(id)
      return charge === undefined
        ? Effect.fail(resourceMissing(`No such charge: '${id}'`, "charge"))
        : Effect.succeed(charge)
    })

  const record = (charge: Charge, idempotencyKey: string) => {
    charges.set(charge.id, charge)
    chargeByKey.set(idempotencyKey, charge.id)
    const ofOrder = chargesByOrder.get(charge.order_id)
    if (ofOrder === undefined) chargesByOrder.set(charge.order_id, [charge.id])
    else ofOrder.push(charge.id)
  }

  const createCharge = traced("Ledger.charge")(function*(params: ChargeParams, idempotencyKey: string) {
    const outcome = outcomeOf(params.payment_method)
    if (outcome === undefined) {
      return yield* invalidRequest(
        `No such PaymentMethod: '${params.payment_method}'; test methods are ${testPaymentMethods.join(", ")}.`,
        { code: "resource_missing", param: "payment_method" }
      )
    }
    const declined = outcome.kind === "declined" ? outcome : undefined
    const created: Charge = {
      id: newId("ch"),
      object: "charge",
      status: declined === undefined ? "succeeded" : "failed",
      amount: params.amount,
      amount_refunded: 0,
      refunded: false,
      currency: params.currency.toLowerCase(),
      payment_method: params.payment_method,
      order_id: params.order_id,
      metadata: params.metadata ?? {},
      failure_code: declined?.code ?? null,
      failure_message: declined?.message ?? null,
      created: Math.floor((yield* Clock.currentTimeMillis) / 1000)
    }
    record(created, idempotencyKey)
    if (declined !== undefined) return yield* cardDeclined(declined.code, declined.declineCode, declined.message)
    return created
  })

  // Check and write in one synchronous thunk: a fiber can be descheduled between two `yield*`s, never inside a thunk.
  const refundNow = (params: RefundParams, created: number): Effect.Effect<Refund, ApiError> => {
    const original = charges.get(params.charge)
    if (original === undefined) return Effect.fail(resourceMissing(`No such charge: '${params.charge}'`, "charge"))
    if (original.status !== "succeeded") {
      return Effect.fail(invalidRequest(`Charge ${original.id} was declined; there is nothing to refund.`, {
        code: "charge_not_refundable",
        param: "charge"
      }))
    }
    const remaining = original.amount - original.amount_refunded
    if (remaining === 0) {
      return Effect.fail(invalidRequest(`Charge ${original.id} has already been refunded.`, {
        code: "charge_already_refunded",
        param: "charge"
      }))
    }
    const amount = params.amount ?? remaining
    if (amount > remaining) {
      return Effect.fail(invalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`,
        { code: "amount_too_large", param: "amount" }
      ))
    }
    const result: Refund = {
      id: newId("re"),
      object: "refund",
      status: "succeeded",
      charge: original.id,
      amount,
      currency: original.currency,
      reason: params.reason ?? null,
      metadata: params.metadata ?? {},
      created
    }
    refunds.set(result.id, result)
    const amountRefunded = original.amount_refunded + amount
    charges.set(original.id, {
      ...original,
      amount_refunded: amountRefunded,
      refunded: amountRefunded === original.amount
    })
    return Effect.succeed(result)
  }

  const createRefund = traced("Ledger.refund")(function*(params: RefundParams) {
    const created = Math.floor((yield* Clock.currentTimeMillis) / 1000)
    return yield* Effect.suspend(() => refundNow(params, created))
  })

  const snapshot = Effect.sync((): LedgerSnapshot => {
    let charged = 0
    let chargeCount = 0
    let refunded = 0
    const byOrder: Record<string, number> = {}
    for (const { amount, order_id, status } of charges.values()) {
      if (status !== "succeeded") continue
      charged += amount
      chargeCount++
      byOrder[order_id] = (byOrder[order_id] ?? 0) + 1
    }
    for (const { amount } of refunds.values()) refunded += amount
    return {
      charges: [...charges.values()],
      refunds: [...refunds.values()],
      totals: {
        charged,
        refunded,
        net: charged - refunded,
        charge_count: chargeCount,
        failed_count: charges.size - chargeCount,
        refund_count: refunds.size,
        by_order: byOrder
      }
    }
  })

  return Ledger.of({
    charge: createCharge,
    refund: createRefund,
    getCharge: findCharge,
    getRefund: (id) =>
      Effect.suspend(() => {
        const found = refunds.get(id)
        return found === undefined ? Effect.fail(resourceMissing(`No such refund: '${id}'`)) : Effect.succeed(found)
      }),
    chargeByIdempotencyKey: (key) =>
      Effect.suspend(() => {
        const id = chargeByKey.get(key)
        return id === undefined
          ? Effect.fail(resourceMissing(`No charge was created with idempotency key '${key}'`, "idempotency_key"))
          : findCharge(id)
      }),
    chargesOfOrder: (orderId) =>
      Effect.sync(() => (chargesByOrder.get(orderId) ?? []).flatMap((id) => charges.get(id) ?? [])),
    charges: Effect.sync(() => [...charges.values()]),
    chargesCreated: (window) =>
      Effect.sync(() => {
        // Insertion order is creation order: reversed, it is newest first, ties included.
        const inWindow = [...charges.values()].toReversed().filter((charge) =>
          (window.gte === undefined || charge.created >= window.gte) &&
          (window.lt === undefined || charge.created < window.lt)
        )
        const start = window.startingAfter === undefined
          ? 0
          : inWindow.findIndex((charge) => charge.id === window.startingAfter) + 1
        const data = inWindow.slice(start, start + window.limit)
        return { data, hasMore: start + window.limit < inWindow.length }
      }),
    snapshot,
    reset: Effect.sync(() => {
      charges.clear()
      refunds.clear()
      chargeByKey.clear()
      chargesByOrder.clear()
    })
  })
}
