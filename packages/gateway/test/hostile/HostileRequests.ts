import fc from "fast-check"
import {
  type Components,
  hostileJson,
  hostileNumber,
  hostileString,
  type JsonSchema,
  type Known,
  validValue
} from "./SchemaArbitraries.ts"

/** One request as it goes on the wire: the path is sent byte for byte, so it may hold any percent-encoding. */
export interface HostileRequest {
  readonly operation: string
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: Buffer | undefined
}

interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header"
  readonly required?: boolean
  readonly schema: JsonSchema
}

interface Operation {
  readonly parameters?: ReadonlyArray<Parameter>
  readonly requestBody?: { readonly content: Record<string, { readonly schema: JsonSchema }> }
}

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>
  readonly components: { readonly schemas: Components }
}

/** Credentials a hostile client may hold: none, a customer's, an admin's, or a broken one. */
export interface Tokens {
  readonly customer: string
  readonly admin: string
}

// A string as it would sit in a URL: percent-encoded, or raw percent sequences no decoder accepts.
const encode = (value: string): string => {
  try {
    return encodeURIComponent(value)
  } catch {
    return "%ED%A0%80" // a lone surrogate as UTF-8 bytes: encodeURIComponent refuses to write it
  }
}
const rawEncodings = fc.constantFrom("%FF", "%C0%AF", "%ED%A0%80", "%00", "%E0%80", "%", "%zz", "%2500")
/** A hostile value as it would sit in a URL. */
const hostileUrlValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 30, arbitrary: hostileString.filter((s) => s.length < 2_000).map(encode) },
  { weight: 6, arbitrary: hostileNumber.map((n) => encode(String(n))) },
  { weight: 6, arbitrary: rawEncodings },
  { weight: 6, arbitrary: fc.tuple(hostileString, rawEncodings).map(([s, raw]) => `${encode(s.slice(0, 10))}${raw}`) },
  { weight: 1, arbitrary: fc.constant("a".repeat(20_000)) } // past Node's 16 KB of request line and headers
)

/**
 * The query of a request: valid values for the parameters it sets, then (mostly) one of them made hostile, and
 * sometimes unknown or repeated parameters. One mutation at a time: with several, the edge refuses the first and
 * the others never reach the backends, where the dangerous code is.
 */
const queryOf = (parameters: ReadonlyArray<Parameter>, components: Components, known: Known) => {
  const query = parameters.filter((p) => p.in === "query")
  const valid = fc.tuple(
    ...query.map((p) =>
      fc.option(validValue(p.schema, components, known).map((v) => encode(String(v))), { nil: undefined })
    )
  )
  const hostile = query.length === 0
    ? fc.constant(undefined)
    : fc.option(fc.tuple(fc.nat({ max: query.length - 1 }), hostileUrlValue), { freq: 8, nil: undefined })
  const extras = fc.option(
    fc.oneof(
      fc.tuple(fc.constantFrom(...query.map((p) => p.name), "unknown", "__proto__", ""), hostileUrlValue)
        .map(([name, value]) => `${name}=${value}`), // unknown and repeated parameters
      fc.constantFrom("&", "=", "a", "limit", "page=1&page=2&page=3")
    ),
    { freq: 6, nil: undefined }
  )
  return fc.tuple(valid, hostile, extras).map(([values, mutation, extra]) => {
    const parts = query.flatMap((p, i) => {
      const value = mutation !== undefined && mutation[0] === i ? mutation[1] : values[i]
      return value === undefined ? [] : [`${p.name}=${value}`]
    })
    if (extra !== undefined) parts.push(extra)
    return parts.length === 0 ? "" : `?${parts.join("&")}`
  })
}

/** Mutations of a valid body: one field made hostile, a required one dropped, unknown ones added, or all three. */
const mutateBody = (valid: unknown): fc.Arbitrary<unknown> => {
  const record = typeof valid === "object" && valid !== null && !Array.isArray(valid)
    ? valid as Record<string, unknown>
    : {}
  const keys = Object.keys(record)
  return fc.oneof(
    fc.constant(valid),
    keys.length === 0 ? hostileJson : fc.tuple(fc.constantFrom(...keys), hostileJson).map(([key, value]) => ({
      ...record,
      [key]: value
    })),
    keys.length === 0 ? fc.constant({}) : fc.constantFrom(...keys).map((key) => {
      const { [key]: _dropped, ...rest } = record
      return rest
    }),
    fc.tuple(fc.constantFrom("id", "status", "user_id", "reserved", "unit_price", "extra", "__proto__"), hostileJson)
      .map(([key, value]) => ({ ...record, [key]: value })),
    // nested: a hostile value inside an object or array member (address lines, order items)
    fc.tuple(fc.constantFrom(...(keys.length > 0 ? keys : ["x"])), hostileJson).map(([key, value]) => {
      const inner = record[key]
      if (Array.isArray(inner)) return { ...record, [key]: [...inner, ...inner, value] } // duplicates too
      if (typeof inner === "object" && inner !== null) {
        const innerKeys = Object.keys(inner)
        return { ...record, [key]: { ...inner, [innerKeys[0] ?? "x"]: value } }
      }
      return { ...record, [key]: value }
    })
  )
}

const text = (value: string) => Buffer.from(value, "utf8")

/** Bodies that are not the JSON they claim to be: deep, huge, duplicated keys, bad bytes, truncated, empty. */
const rawBody = (valid: unknown): fc.Arbitrary<Buffer> => {
  const json = JSON.stringify(valid) ?? "{}"
  return fc.oneof(
    fc.constant(text(json.replace(/^\{/, `{"${Object.keys(valid ?? {})[0] ?? "a"}":1,`))), // duplicate key
    fc.integer({ min: 100, max: 20_000 }).map((depth) => text("[".repeat(depth) + "]".repeat(depth))),
    fc.integer({ min: 100, max: 5_000 }).map((depth) => text(`{"a":`.repeat(depth) + "1" + "}".repeat(depth))),
    fc.constantFrom(60_000, 70_000, 1_000_000).map((size) => text(`{"name":"${"x".repeat(size)}"}`)),
    fc.constant(Buffer.concat([text(json.slice(0, 10)), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), text(json.slice(10))])),
    fc.constant(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(json)])), // a byte-order mark
    fc.nat({ max: Math.max(0, json.length - 1) }).map((cut) => text(json.slice(0, cut))),
    fc.constantFrom(
      text(""),
      text("null"),
      text("[]"),
      text("\"\""),
      text("1e999"),
      text("{\"a\":NaN}"),
      text("<xml/>")
    )
  )
}

const auth = (tokens: Tokens): fc.Arbitrary<Record<string, string>> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant({ authorization: `Bearer ${tokens.customer}` }) },
    { weight: 3, arbitrary: fc.constant({ authorization: `Bearer ${tokens.admin}` }) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        {},
        { authorization: `Bearer ${tokens.customer.slice(0, -4)}AAAA` },
        { authorization: "Bearer " },
        { authorization: "Basic YWRtaW46YWRtaW4=" },
        { authorization: `Bearer ${"x".repeat(9000)}` }
      )
    }
  )

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-16",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x"
)

/** Every operation of the document, as hostile requests; `tokens` make some of them authenticated. */
export const hostileRequests = (
  document: OpenApiDocument,
  tokens: Tokens,
  known: Known = {}
): fc.Arbitrary<HostileRequest> => {
  const components = document.components.schemas
  const operations = Object.entries(document.paths).flatMap(([template, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const parameters = operation.parameters ?? []
      const pathParams = parameters.filter((p) => p.in === "path")
      const pathValue = (p: Parameter) =>
        fc.oneof(
          { weight: 3, arbitrary: validValue(p.schema, components, known).map((v) => encode(String(v))) },
          { weight: 1, arbitrary: hostileUrlValue }
        )
      const path = fc.tuple(...pathParams.map(pathValue)).map((values) =>
        pathParams.reduce((current, p, i) => current.replace(`{${p.name}}`, values[i]!), template)
      )
      const bodySchema = operation.requestBody?.content["application/json"]?.schema
      const body: fc.Arbitrary<{ body?: Buffer; type?: string }> = bodySchema === undefined
        ? fc.constant({})
        : validValue(bodySchema, components, known).chain((valid) =>
          fc.oneof(
            { weight: 4, arbitrary: mutateBody(valid).map((value) => text(JSON.stringify(value) ?? "null")) },
            { weight: 2, arbitrary: rawBody(valid) }
          ).chain((bytes) => contentTypes.map((type) => ({ body: bytes, type })))
        )
      // operations with more inputs get more requests: there is more to get wrong
      const weight = 1 + parameters.length + (bodySchema === undefined ? 0 : 4)
      const generated = fc.record({
        path,
        query: queryOf(parameters, components, known),
        body,
        auth: auth(tokens),
        method: fc.oneof(
          { weight: 12, arbitrary: fc.constant(method.toUpperCase()) },
          { weight: 1, arbitrary: fc.constantFrom("DELETE", "PUT", "OPTIONS") }
        )
      }).map((parts): HostileRequest => ({
        operation: `${method.toUpperCase()} ${template}`,
        method: parts.method,
        path: `${parts.path}${parts.query}`,
        headers: { ...parts.auth, ...(parts.body.type === undefined ? {} : { "content-type": parts.body.type }) },
        body: parts.body.body
      }))
      return { weight, arbitrary: generated }
    })
  )
  return fc.oneof(...operations)
}
