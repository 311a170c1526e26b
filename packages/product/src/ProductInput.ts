import { ValidationError } from "@shop/domain"
import { Currency } from "@shop/domain/Money"
import { Category, Price, ProductDescription, ProductName, Sku, StockQuantity } from "@shop/domain/Product"
import { Effect, Schema, SchemaIssue } from "effect"

/** A new catalog entry. `description` defaults to empty, `currency` to USD. */
export const CreateProductInput = Schema.Struct({
  name: ProductName,
  description: Schema.optionalKey(ProductDescription),
  priceCents: Price,
  currency: Schema.optionalKey(Currency),
  sku: Sku,
  category: Category,
  inventory: StockQuantity
})
export type CreateProductInput = typeof CreateProductInput.Encoded

/**
 * The fields of a product to change; absent fields keep their value. `inventory` sets the units on hand.
 * `expectedUpdatedAt` (RFC 3339) makes the update conditional on nobody having changed the product since.
 */
export const UpdateProductInput = Schema.Struct({
  name: Schema.optionalKey(ProductName),
  description: Schema.optionalKey(ProductDescription),
  priceCents: Schema.optionalKey(Price),
  currency: Schema.optionalKey(Currency),
  category: Schema.optionalKey(Category),
  inventory: Schema.optionalKey(StockQuantity),
  expectedUpdatedAt: Schema.optionalKey(Schema.DateTimeUtcFromString)
})
export type UpdateProductInput = typeof UpdateProductInput.Encoded

const firstIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/** Decodes caller input, failing with a `ValidationError` that names the first offending field. */
export const decodeInput = <S extends Schema.Codec<unknown, unknown>>(schema: S) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (input: S["Encoded"]): Effect.Effect<S["Type"], ValidationError, S["DecodingServices"]> =>
    decode(input).pipe(
      Effect.mapError((error) => {
        const issue = firstIssue(error.issue).issues[0]
        const field = issue?.path?.map(String).join(".")
        return new ValidationError({
          detail: issue?.message ?? error.message,
          ...(field ? { field } : {})
        })
      })
    )
}
