import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Result, Schema } from "effect"
import { ValidationError } from "../src/Errors.ts"
import * as Money from "../src/Money.ts"

const cents = (n: number) => Money.Cents.make(n)
const decodePrice = Schema.decodeUnknownExit(Money.PriceFromDecimal)
const encodePrice = Schema.encodeSync(Money.PriceFromDecimal)

// A small deterministic generator, so a failure is reproducible from its seed
const lcg = (seed: number) => () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}

describe("Money", () => {
  it("converts every amount from 0.00 to 1000.00 to a decimal and back exactly", () => {
    for (let n = 0; n <= 100_000; n++) {
      const decimal = Money.toDecimal(cents(n))
      assert.strictEqual(String(decimal), Money.formatDecimal(cents(n)))
      const back = Money.parseDecimal(decimal)
      if (!Result.isSuccess(back) || back.success !== n) assert.fail(`${n} -> ${decimal} -> ${String(back)}`)
    }
  })

  it("round-trips random amounts up to the maximum through JSON", () => {
    const random = lcg(42)
    const samples = [Money.MaxCents, Money.MaxCents - 1, 2 ** 40, 10 ** 14 + 1, 99_999_999_999_999]
    for (let i = 0; i < 20_000; i++) {
      const digits = 1 + Math.floor(random() * 15)
      samples.push(Math.floor(random() * 10 ** digits))
    }
    for (const n of samples) {
      const json = JSON.stringify({ price: encodePrice(cents(n)) })
      assert.strictEqual(json, `{"price":${Money.formatDecimal(cents(n))}}`)
      const decoded = Schema.decodeUnknownSync(Schema.fromJsonString(Schema.Struct({ price: Money.PriceFromDecimal })))(
        json
      )
      assert.strictEqual(decoded.price, n)
    }
  })

  it.prop("decimal -> cents -> decimal is the identity on every amount", [Money.Cents], ([amount]) => {
    const decimal = Money.toDecimal(amount)
    assert.strictEqual(JSON.stringify(decimal), Money.formatDecimal(amount))
    assert.deepStrictEqual(Money.parseDecimal(decimal), Result.succeed(amount))
    assert.deepStrictEqual(Money.parseDecimal(Money.formatDecimal(amount)), Result.succeed(amount))
  })

  it("decodes the REST decimals of the spec", () => {
    assert.deepStrictEqual(decodePrice(29.99), Exit.succeed(cents(2999)))
    assert.deepStrictEqual(decodePrice(89.97), Exit.succeed(cents(8997)))
    assert.deepStrictEqual(decodePrice(20), Exit.succeed(cents(2000)))
    assert.deepStrictEqual(decodePrice(0.1), Exit.succeed(cents(10)))
    assert.deepStrictEqual(decodePrice(0.07), Exit.succeed(cents(7)))
    assert.strictEqual(encodePrice(cents(8997)), 89.97)
    assert.strictEqual(encodePrice(cents(1000)), 10)
    assert.strictEqual(encodePrice(cents(50)), 0.5)
  })

  it("rejects what is not an exact amount of cents", () => {
    for (const bad of [29.999, -1, -0.01, 1e21, 1e15, NaN, Infinity, -Infinity, 0.001, 1e-7, "abc", "29.99", null]) {
      assert.isTrue(Exit.isFailure(decodePrice(bad)), `accepted ${String(bad)}`)
    }
  })

  it("parses decimal strings exactly", () => {
    const ok: ReadonlyArray<readonly [string, number]> = [
      ["29.99", 2999],
      ["0", 0],
      ["0.5", 50],
      ["007.10", 710],
      ["1.000", 100],
      ["1e2", 10000],
      ["2.5E-1", 25],
      ["9999999999999.99", Money.MaxCents],
      [" 12.30 ", 1230]
    ]
    for (const [text, expected] of ok) {
      assert.deepStrictEqual(Money.parseDecimal(text), Result.succeed(cents(expected)), text)
    }
    for (const bad of ["abc", "", "-1", "29.999", "1e21", "10000000000000", ".5", "5.", "1e999", "0x10", "1,5", "+1"]) {
      assert.isTrue(Result.isFailure(Money.parseDecimal(bad)), `accepted ${bad}`)
    }
    assert.isTrue(Result.isFailure(Money.parseDecimal("1".repeat(100))))
  })

  it("decodes query-string prices", () => {
    const decode = Schema.decodeUnknownSync(Money.PriceFromDecimalString)
    assert.strictEqual(decode("20"), 2000)
    assert.strictEqual(Schema.encodeSync(Money.PriceFromDecimalString)(cents(5000)), "50")
    assert.throws(() => decode("20.001"))
  })

  it.effect("adds, multiplies and sums in integers and refuses overflow", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Money.multiplyCents(cents(2999), 3), 8997)
      assert.strictEqual(yield* Money.addCents(cents(5998), cents(2999)), 8997)
      assert.strictEqual(yield* Money.sumCents([cents(5998), cents(2999)]), 8997)
      assert.strictEqual(yield* Money.sumCents([]), 0)
      const overflow = yield* Effect.flip(Money.addCents(cents(Money.MaxCents), cents(1), "total"))
      assert.instanceOf(overflow, ValidationError)
      assert.strictEqual(overflow.field, "total")
      assert.instanceOf(yield* Effect.flip(Money.multiplyCents(cents(Money.MaxCents), 2)), ValidationError)
      assert.instanceOf(yield* Effect.flip(Money.multiplyCents(cents(10), 1.5)), ValidationError)
      assert.instanceOf(yield* Effect.flip(Money.sumCents([cents(Money.MaxCents), cents(1)])), ValidationError)
    }))

  it("validates currencies", () => {
    assert.strictEqual(Money.DefaultCurrency, "USD")
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(Money.Currency)("usd")))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(Money.Cents)(-1)))
    assert.isTrue(Exit.isFailure(Schema.decodeUnknownExit(Money.Cents)(1.5)))
  })
})
