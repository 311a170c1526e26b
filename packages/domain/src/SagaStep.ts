import { Schema } from "effect"

/**
 * The steps of an order's checkout saga, the step it runs next: `confirmed` and `failed` are terminal. The order
 * service persists them; the operator console shows them.
 */
export const SagaStep = Schema.Literals([
  "reserve",
  "charge",
  "await_payment",
  "commit",
  "refund",
  "release",
  "confirmed",
  "failed"
]).annotate({ identifier: "SagaStep" })
export type SagaStep = typeof SagaStep.Type
