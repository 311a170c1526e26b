import { Schema, SchemaTransformation } from "effect"

/**
 * Column values as `@effect/sql-pg` returns them, decoded into what the domain uses. Row schemas built from these
 * decode with `SqlSchema`, so no repository reads a row through a cast.
 */

const bigintToNumber = SchemaTransformation.transform<number, bigint>({
  decode: (value) => Number(value),
  encode: (value) => BigInt(value)
})

/**
 * A `bigint` column (PostgreSQL `int8`) decoded with a number schema, e.g. `fromBigInt(Cents)`; the number schema's
 * checks reject what is out of its range, so no value beyond `Number.MAX_SAFE_INTEGER` gets through silently.
 */
export const fromBigInt = <S extends Schema.Codec<number, number>>(schema: S) =>
  Schema.BigInt.pipe(Schema.decodeTo(schema, bigintToNumber))

/** A `timestamptz` column: the driver's `Date`, as a `DateTime.Utc`. */
export const Instant = Schema.DateTimeUtcFromDate

/** A nullable column, whose NULL the code spells `undefined`. */
export const NullAsUndefined = <S extends Schema.Top>(schema: S) =>
  Schema.NullOr(schema).pipe(
    Schema.decodeTo(
      Schema.UndefinedOr(Schema.toType(schema)),
      SchemaTransformation.transform<S["Type"] | undefined, S["Type"] | null>({
        decode: (value) => value ?? undefined,
        encode: (value) => value ?? null
      })
    )
  )
