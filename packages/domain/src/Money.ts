import { Effect, Result, Schema, type SchemaAST, SchemaIssue, SchemaTransformation } from "effect"
import { ValidationError } from "./Errors.ts"

/**
 * Money is an integer count of minor units (cents) plus an ISO 4217 currency. Amounts never pass through
 * floating-point arithmetic: the REST decimal (`29.99`) is converted digit by digit from its shortest string form
 * (`String(29.99) === "29.99"`), and cents are formatted back into a decimal string before they become a number.
 *
 * Every currency is assumed to have 2 minor digits (USD, EUR, GBP...).
 */

/**
 * The largest amount: 15 nines of cents (9,999,999,999,999.99). Every decimal with at most 15 significant digits
 * survives a trip through an IEEE double unchanged, so each amount in range converts exactly to and from a JSON
 * number; it also keeps every sum of two amounts below `Number.MAX_SAFE_INTEGER`.
 */
export const MaxCents = 999_999_999_999_999

/** A non-negative integer amount of cents, at most {@link MaxCents}. */
export const Cents = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: MaxCents })).pipe(
  Schema.brand("Cents")
).annotate({ identifier: "Cents", description: "An amount in minor units (cents)" })
export type Cents = typeof Cents.Type

/** An ISO 4217 alphabetic currency code, e.g. `USD`. */
export const Currency = Schema.String.check(
  Schema.isPattern(/^[A-Z]{3}$/u, { expected: "an ISO 4217 currency code such as USD" })
).pipe(Schema.brand("Currency")).annotate({ identifier: "Currency" })
export type Currency = typeof Currency.Type

/** A currency code in any case (`usd`), decoded into its {@link Currency} (`USD`): for inputs that are lenient. */
export const CurrencyCode = Schema.String.pipe(Schema.decodeTo(Currency, SchemaTransformation.toUpperCase()))
  .annotate({ identifier: "CurrencyCode" })

/** The currency of every amount that does not name one. */
export const DefaultCurrency: Currency = Currency.make("USD")

/** An amount with its currency. */
export const Money = Schema.Struct({ cents: Cents, currency: Currency }).annotate({ identifier: "Money" })
export type Money = typeof Money.Type

const decimalPattern = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/
const maxInputLength = 64
const maxExponent = 40

/**
 * Converts a decimal amount (a JSON number such as `29.99`, or a string such as `"29.99"`) into cents, exactly.
 * Fails, with a message for the client, on negatives, NaN, infinities, more than 2 significant fraction digits
 * (`29.999`) and amounts above {@link MaxCents} (`1e21`). Exponent forms within range are accepted (`1e2` is 100).
 */
export const parseDecimal = (input: number | string): Result.Result<Cents, string> => {
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return Result.fail("the amount must be a finite number")
    if (input < 0) return Result.fail("the amount must not be negative")
    return parseDecimalString(String(input)) // the shortest string that round-trips, never more digits
  }
  return parseDecimalString(input.trim())
}

const parseDecimalString = (text: string): Result.Result<Cents, string> => {
  if (text.startsWith("-")) return Result.fail("the amount must not be negative")
  const match = text.length <= maxInputLength ? decimalPattern.exec(text) : null
  if (match === null) return Result.fail("the amount must be a decimal number such as 29.99")
  const exponent = match[3] === undefined ? 0 : Number(match[3])
  if (Math.abs(exponent) > maxExponent) return Result.fail(outOfRange)
  let digits = match[1]! + (match[2] ?? "")
  let point = match[1]!.length + exponent // where the decimal point falls in `digits`
  if (point < 0) {
    digits = "0".repeat(-point) + digits
    point = 0
  } else if (point > digits.length) {
    digits = digits + "0".repeat(point - digits.length)
  }
  const fraction = digits.slice(point).replace(/0+$/, "")
  if (fraction.length > 2) return Result.fail("the amount must have at most 2 decimal places")
  const centsDigits = (digits.slice(0, point) + fraction.padEnd(2, "0")).replace(/^0+(?=\d)/, "")
  if (centsDigits.length > 15) return Result.fail(outOfRange)
  return Result.succeed(Number(centsDigits) as Cents) // at most 15 digits: below 2^53, so exact
}

const outOfRange = `the amount must be at most ${formatDecimal(MaxCents as Cents)}`

/** Formats cents as the canonical decimal string: `8997` -> `"89.97"`, `1000` -> `"10"`, `50` -> `"0.5"`. */
export function formatDecimal(cents: Cents): string {
  const fraction = cents % 100
  const whole = (cents - fraction) / 100
  if (fraction === 0) return String(whole)
  return `${whole}.${String(fraction).padStart(2, "0").replace(/0$/, "")}`
}

/**
 * Cents as a JSON number whose string form is exactly {@link formatDecimal}: `toDecimal(8997)` is `89.97` and
 * `JSON.stringify` writes `89.97`.
 */
export const toDecimal = (cents: Cents): number => Number(formatDecimal(cents))

const decodeWith = (input: number | string, options: SchemaAST.ParseOptions | undefined) =>
  Result.match(parseDecimal(input), {
    onFailure: (message) => Effect.fail(new SchemaIssue.InvalidValue({ message }, input, options)),
    onSuccess: Effect.succeed
  })

/**
 * The REST form of an amount: a JSON number with at most 2 decimal places (`29.99`), decoded into {@link Cents}
 * without floating-point arithmetic.
 */
export const PriceFromDecimal = Schema.Finite.annotate({
  identifier: "DecimalAmount",
  description: "A decimal amount with at most 2 decimal places, e.g. 29.99",
  examples: [29.99]
}).pipe(
  Schema.decodeTo(
    Cents,
    SchemaTransformation.transformEffect<number, number>({
      decode: (input, options) => decodeWith(input, options),
      encode: (cents) => Effect.succeed(toDecimal(cents as Cents))
    })
  )
)

/** An amount written as a decimal string (`"29.99"`), for query parameters and headers. */
export const PriceFromDecimalString = Schema.String.annotate({
  identifier: "DecimalAmountString",
  description: "A decimal amount with at most 2 decimal places, e.g. 29.99",
  examples: ["29.99"]
}).pipe(
  Schema.decodeTo(
    Cents,
    SchemaTransformation.transformEffect<number, string>({
      decode: (input, options) => decodeWith(input, options),
      encode: (cents) => Effect.succeed(formatDecimal(cents as Cents))
    })
  )
)

const checked = (result: number, field: string | undefined): Effect.Effect<Cents, ValidationError> =>
  Number.isSafeInteger(result) && result >= 0 && result <= MaxCents
    ? Effect.succeed(result as Cents)
    : Effect.fail(
      new ValidationError({
        detail: `the amount must be at most ${formatDecimal(MaxCents as Cents)}`,
        ...(field === undefined ? {} : { field })
      })
    )

/** `a + b`, or a `ValidationError` when the sum exceeds {@link MaxCents}. */
export const addCents = (a: Cents, b: Cents, field?: string): Effect.Effect<Cents, ValidationError> =>
  checked(a + b, field)

/**
 * `unitPrice × quantity` for a non-negative integer quantity, or a `ValidationError` when the product exceeds
 * {@link MaxCents}. Both factors are integers and the bound check happens before any precision could be lost.
 */
export const multiplyCents = (
  unitPrice: Cents,
  quantity: number,
  field?: string
): Effect.Effect<Cents, ValidationError> =>
  Number.isSafeInteger(quantity) && quantity >= 0
    ? (quantity === 0 || unitPrice <= MaxCents / quantity
      ? checked(unitPrice * quantity, field)
      : checked(Infinity, field))
    : Effect.fail(new ValidationError({ detail: "the quantity must be a non-negative integer", field: "quantity" }))

/** The sum of amounts, or a `ValidationError` as soon as a partial sum exceeds {@link MaxCents}. */
export const sumCents = (amounts: Iterable<Cents>, field?: string): Effect.Effect<Cents, ValidationError> =>
  Effect.gen(function*() {
    let total = 0 as Cents
    for (const amount of amounts) total = yield* addCents(total, amount, field)
    return total
  })
