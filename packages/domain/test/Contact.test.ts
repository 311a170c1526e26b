import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { CustomerContact, Email, PhoneNumber } from "../src/Contact.ts"
import { decodeEventJson, encodeEventJson, OrderConfirmed, OrderFailed } from "../src/Events.ts"
import { OrderId, PaymentId, UserId } from "../src/Ids.ts"
import { Cents, DefaultCurrency } from "../src/Money.ts"

const accepts = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, input: unknown) =>
  Schema.decodeUnknownOption(schema)(input)._tag === "Some"

describe("Contact", () => {
  it("accepts email addresses a mail server takes and refuses the rest", () => {
    for (const good of ["jane@example.com", "j.doe+orders@mail.example.co.uk", "user_123@customers.shop-mesh.local"]) {
      assert.isTrue(accepts(Email, good), good)
    }
    const longLocal = `${"a".repeat(65)}@example.com`
    const longTotal = `a@${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.${"e".repeat(70)}.com`
    for (
      const bad of [
        "",
        "jane",
        "jane@",
        "@example.com",
        "jane doe@example.com",
        "jane@-example.com",
        longLocal,
        longTotal
      ]
    ) {
      assert.isFalse(accepts(Email, bad), bad)
    }
  })

  it("accepts E.164 phone numbers only", () => {
    assert.isTrue(accepts(PhoneNumber, "+14155550123"))
    assert.isTrue(accepts(PhoneNumber, "+442071838750"))
    for (const bad of ["14155550123", "+0155550123", "+1 415 555 0123", "+1234567890123456", "+12"]) {
      assert.isFalse(accepts(PhoneNumber, bad), bad)
    }
    assert.isTrue(accepts(CustomerContact, { email: "jane@example.com" }))
    assert.isFalse(accepts(CustomerContact, { email: "jane@example.com", phone: "555-0123" }))
  })

  it.effect("travels in order.confirmed and order.failed, and stays optional within version 1", () =>
    Effect.gen(function*() {
      const contact = { email: Email.make("jane@example.com"), phone: PhoneNumber.make("+14155550123") }
      const orderId = yield* OrderId.generate
      const confirmed = yield* OrderConfirmed.create({
        orderId,
        userId: UserId.make("user_1"),
        paymentId: yield* PaymentId.generate,
        items: [],
        totalCents: Cents.make(100),
        currency: DefaultCurrency,
        contact
      })
      const decoded = yield* decodeEventJson(yield* encodeEventJson(confirmed))
      assert.deepStrictEqual(decoded.type === "order.confirmed" ? decoded.payload.contact : undefined, contact)
      const failed = yield* OrderFailed.create({
        orderId,
        userId: UserId.make("user_1"),
        reason: "timeout",
        detail: ""
      })
      const old = yield* decodeEventJson(yield* encodeEventJson(failed))
      assert.isTrue(old.type === "order.failed" && old.payload.contact === undefined)
    }))
})
