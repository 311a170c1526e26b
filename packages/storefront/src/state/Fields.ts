import { Schema, SchemaIssue } from "effect"

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** A form field read with a schema of the contract: its value, or what is wrong with it in words. */
export type Field<A> = { readonly ok: true; readonly value: A } | { readonly ok: false; readonly error: string }

/** Reads `input` with `schema` (a price, a quantity, a postal code...). */
export const readField = <A, I>(schema: Schema.Codec<A, I>, input: unknown): Field<A> => {
  const result = Schema.decodeUnknownExit(schema)(input)
  if (result._tag === "Success") return { ok: true, value: result.value }
  const failure = result.cause.reasons.find((reason) => reason._tag === "Fail")
  const error = failure !== undefined && Schema.isSchemaError(failure.error)
    ? formatIssues(failure.error.issue).issues.map((issue) => issue.message).join("; ")
    : "is not valid"
  return { ok: false, error }
}

/** A whole number typed in a form (`"3"`), for schemas of integers. */
export const wholeNumber = (text: string): number | string => /^\s*-?\d+\s*$/.test(text) ? Number(text) : text

/** Reads a whole form with a struct schema: its value, or one message per field that is wrong. */
export const readForm = <A, I>(
  schema: Schema.Codec<A, I>,
  input: unknown
): { readonly ok: true; readonly value: A } | { readonly ok: false; readonly errors: Record<string, string> } => {
  const result = Schema.decodeUnknownExit(schema)(input, { errors: "all" })
  if (result._tag === "Success") return { ok: true, value: result.value }
  const errors: Record<string, string> = {}
  for (const reason of result.cause.reasons) {
    if (reason._tag !== "Fail" || !Schema.isSchemaError(reason.error)) continue
    for (const issue of formatIssues(reason.error.issue).issues) {
      const field = String((issue.path ?? [])[0] ?? "form")
      errors[field] = errors[field] === undefined ? issue.message : `${errors[field]}; ${issue.message}`
    }
  }
  return { ok: false, errors }
}

/** A decimal typed in a form (`"29.99"`), for schemas of amounts. */
export const decimalNumber = (text: string): number | string => /^\s*\d+(\.\d*)?\s*$/.test(text) ? Number(text) : text
