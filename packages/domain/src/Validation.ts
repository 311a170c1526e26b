import { Effect, Schema, SchemaIssue } from "effect"
import { ValidationError } from "./Errors.ts"

/**
 * Decoding at the edge of a service: untrusted input (a gRPC message, a row of another system) decoded with the
 * domain schemas, every rule once; a failure becomes a `ValidationError` naming the first invalid field the way the
 * wire spells it (`shipping_address.zip`, `items.0.quantity`).
 */

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

/** A path of an issue as a snake_case field name: `["shippingAddress", "zip"]` -> `shipping_address.zip`. */
export const fieldName = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((segment) => typeof segment === "string" ? snakeCase(segment) : String(segment)).join(".")

/** The first issue of a failed decoding as a `ValidationError` naming its field. */
export const toValidationError = (error: Schema.SchemaError): ValidationError => {
  const [first] = formatter(error.issue).issues
  if (first === undefined) return new ValidationError({ detail: error.message })
  const path = (first.path ?? []).map((segment) => typeof segment === "object" ? segment.key : segment)
  return path.length === 0
    ? new ValidationError({ detail: first.message })
    : new ValidationError({ field: fieldName(path), detail: first.message })
}

/** Decodes untrusted input with `schema`; a failure is a `ValidationError` naming the first invalid field. */
export const decodeInput = <S extends Schema.Decoder<unknown>>(schema: S) => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (input: unknown): Effect.Effect<S["Type"], ValidationError, S["DecodingServices"]> =>
    Effect.mapError(decode(input), toValidationError)
}
