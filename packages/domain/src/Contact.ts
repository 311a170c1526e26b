import { Schema } from "effect"

/**
 * How to reach a customer: where order notifications go. It comes with the order (the request's `email` and `phone`,
 * or the token's `email` claim) and travels in the order's events; nothing else stores it.
 */

/**
 * An email address: a local part and a domain as a mail server accepts them (the HTML "valid email address" rule:
 * no spaces, no quoted local parts, dot-separated domain labels), at most 254 characters.
 */
export const Email = Schema.String.check(
  Schema.isMaxLength(254),
  Schema.isPattern(
    /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/u,
    { expected: "an email address such as jane@example.com" }
  )
).pipe(Schema.brand("Email")).annotate({ identifier: "Email" })
export type Email = typeof Email.Type

/** A phone number in E.164 form: `+`, a country code, the subscriber number; at most 15 digits. */
export const PhoneNumber = Schema.String.check(
  Schema.isPattern(/^\+[1-9][0-9]{6,14}$/u, { expected: "an E.164 phone number such as +14155550123" })
).pipe(Schema.brand("PhoneNumber")).annotate({ identifier: "PhoneNumber" })
export type PhoneNumber = typeof PhoneNumber.Type

/** The customer's contact for an order: an email address, and a phone number for SMS when email fails. */
export const CustomerContact = Schema.Struct({
  email: Email,
  phone: Schema.optionalKey(PhoneNumber)
}).annotate({ identifier: "CustomerContact" })
export type CustomerContact = typeof CustomerContact.Type
