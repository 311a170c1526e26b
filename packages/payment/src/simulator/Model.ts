import { MaxChargeCents } from "@shop/domain"
import { Schema } from "effect"

/** Minor units (cents); capped at the processor's limit (Stripe's 8 digits), the domain's `MaxChargeCents`. */
const Amount = Schema.Int.pipe(Schema.check(Schema.isBetween({ minimum: 1, maximum: MaxChargeCents })))

const Metadata = Schema.Record(Schema.String, Schema.String)

/** Body of `POST /v1/charges`. */
export const ChargeParams = Schema.Struct({
  amount: Amount,
  currency: Schema.String.pipe(Schema.check(Schema.isPattern(/^[A-Za-z]{3}$/))),
  payment_method: Schema.NonEmptyString,
  order_id: Schema.NonEmptyString,
  metadata: Schema.optional(Metadata)
})
export type ChargeParams = typeof ChargeParams.Type

/** Body of `POST /v1/refunds`; without `amount` the whole remaining amount is refunded. */
export const RefundParams = Schema.Struct({
  charge: Schema.NonEmptyString,
  amount: Schema.optional(Amount),
  reason: Schema.optional(Schema.Literals(["duplicate", "fraudulent", "requested_by_customer"])),
  metadata: Schema.optional(Metadata)
})
export type RefundParams = typeof RefundParams.Type

/** A charge as the processor reports it; a declined charge is kept with status `failed` and no money moved. */
export interface Charge {
  readonly id: string
  readonly object: "charge"
  readonly status: "succeeded" | "failed"
  readonly amount: number
  readonly amount_refunded: number
  readonly refunded: boolean
  readonly currency: string
  readonly payment_method: string
  readonly order_id: string
  readonly metadata: Readonly<Record<string, string>>
  readonly failure_code: string | null
  readonly failure_message: string | null
  readonly created: number
}

export interface Refund {
  readonly id: string
  readonly object: "refund"
  readonly status: "succeeded"
  readonly charge: string
  readonly amount: number
  readonly currency: string
  readonly reason: string | null
  readonly metadata: Readonly<Record<string, string>>
  readonly created: number
}

export interface LedgerTotals {
  /** Sum of succeeded charges, before refunds. */
  readonly charged: number
  readonly refunded: number
  /** `charged - refunded`: what the merchant keeps. */
  readonly net: number
  /** Succeeded charges only; declined ones are in `failed_count`. */
  readonly charge_count: number
  readonly failed_count: number
  readonly refund_count: number
  /** Succeeded charges per order: more than one means an order was charged twice. */
  readonly by_order: Readonly<Record<string, number>>
}

export interface LedgerSnapshot {
  readonly charges: ReadonlyArray<Charge>
  readonly refunds: ReadonlyArray<Refund>
  readonly totals: LedgerTotals
}
