/** What the processor does with a payment method. */
export type CardOutcome =
  | { readonly kind: "approved" }
  | { readonly kind: "declined"; readonly code: string; readonly declineCode: string; readonly message: string }

const approved: CardOutcome = { kind: "approved" }

/** The accepted test payment methods (Stripe's names, plus `credit_card` from the platform spec). */
const cards = new Map<string, CardOutcome>([
  ["pm_card_visa", approved],
  ["pm_card_mastercard", approved],
  ["credit_card", approved],
  ["pm_card_chargeDeclined", {
    kind: "declined",
    code: "card_declined",
    declineCode: "generic_decline",
    message: "Your card was declined."
  }],
  ["pm_card_insufficientFunds", {
    kind: "declined",
    code: "insufficient_funds",
    declineCode: "insufficient_funds",
    message: "Your card has insufficient funds."
  }]
])

/** The outcome for `paymentMethod`, or `undefined` when the processor does not know it. */
export const outcomeOf = (paymentMethod: string): CardOutcome | undefined => cards.get(paymentMethod)

export const testPaymentMethods: ReadonlyArray<string> = [...cards.keys()]
