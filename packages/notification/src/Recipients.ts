import type { CustomerContact } from "@shop/domain/Contact"
import { derivedEmail, derivedPhone } from "./Templates.ts"

/** Where one order notification goes, or why it cannot go anywhere. */
export type Recipient =
  | {
    readonly _tag: "Deliver"
    readonly email: string
    /** The number the email falls back to after repeated failures; none: no SMS. */
    readonly smsFallback: string | undefined
  }
  | { readonly _tag: "Unsendable"; readonly reason: string }

/**
 * The recipient of an order's notification: the contact its event carries (the order request's email and phone, or
 * the token's email claim). An event without one (an order placed before orders carried contacts) is handled as the
 * deployment says (`NotificationConfig.missingContact`):
 * - development: a local address derived from the user id, so that the flow can be seen end to end in the local
 *   sink or Mailpit; nothing derived ever reaches a real mailbox there;
 * - production: no recipient is ever invented; the notification is recorded `unsendable` with the reason, and
 *   counted (`notifications_sent_total{outcome="unsendable"}`).
 */
export const recipientOf = (
  payload: { readonly userId: string; readonly contact?: CustomerContact | undefined },
  missingContact: "derive" | "unsendable"
): Recipient => {
  if (payload.contact !== undefined) {
    return { _tag: "Deliver", email: payload.contact.email, smsFallback: payload.contact.phone }
  }
  if (missingContact === "derive") {
    return { _tag: "Deliver", email: derivedEmail(payload.userId), smsFallback: derivedPhone(payload.userId) }
  }
  return { _tag: "Unsendable", reason: "no_contact: the order event carries no email address" }
}
