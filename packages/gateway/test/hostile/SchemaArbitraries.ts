import fc from "fast-check"

/** The part of JSON Schema the gateway's OpenAPI document uses. */
export interface JsonSchema {
  readonly $ref?: string
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly const?: unknown
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly oneOf?: ReadonlyArray<JsonSchema>
  readonly pattern?: string
  readonly minLength?: number
  readonly maxLength?: number
  readonly minimum?: number
  readonly maximum?: number
  readonly items?: JsonSchema
  readonly minItems?: number
  readonly maxItems?: number
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly examples?: ReadonlyArray<unknown>
}

export type Components = Readonly<Record<string, JsonSchema>>

/** Values known to exist on the running platform, by component name (`ProductId`: ids of seeded products). */
export type Known = Readonly<Record<string, ReadonlyArray<unknown>>>

export const resolve = (schema: JsonSchema, components: Components): JsonSchema =>
  schema.$ref === undefined ? schema : resolve(components[schema.$ref.split("/").at(-1)!]!, components)

// Names, categories and address lines must not start or end with white space: keep generated ones printable.
const text = (min: number, max: number) =>
  fc.string({ minLength: Math.max(1, min), maxLength: Math.min(max, 40) }).map((s) => s.trim() || "x")

/** Values that satisfy `schema` (what a well-behaved client sends), from which hostile ones are derived. */
export const validValue = (schema: JsonSchema, components: Components, known: Known = {}): fc.Arbitrary<unknown> => {
  const name = schema.$ref?.split("/").at(-1)
  const existing = name === undefined ? undefined : known[name]
  if (existing !== undefined && existing.length > 0) {
    return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...existing) }, {
      weight: 1,
      arbitrary: validValue(components[name!]!, components, known)
    })
  }
  const self = resolve(schema, components)
  if (self.const !== undefined) return fc.constant(self.const)
  if (self.enum !== undefined) return fc.constantFrom(...self.enum)
  const alternatives = self.anyOf ?? self.oneOf
  if (alternatives !== undefined) return fc.oneof(...alternatives.map((s) => validValue(s, components, known)))
  switch (self.type) {
    case "string":
      if (self.examples !== undefined && self.pattern === undefined) return fc.constantFrom(...self.examples)
      return self.pattern !== undefined && !self.pattern.startsWith("^\\S")
        ? fc.stringMatching(new RegExp(self.pattern)).filter((s) => s.length <= (self.maxLength ?? 512))
        : text(self.minLength ?? 0, self.maxLength ?? 60)
    case "integer":
      return fc.integer({ min: self.minimum ?? 0, max: Math.min(self.maximum ?? 1_000_000, 1_000_000) })
    case "number":
      return fc.integer({ min: 1, max: 1_000_000 }).map((cents) => cents / 100)
    case "boolean":
      return fc.boolean()
    case "array":
      return fc.array(validValue(self.items ?? {}, components, known), {
        minLength: self.minItems ?? 0,
        maxLength: Math.max(self.minItems ?? 0, Math.min(self.maxItems ?? 3, 3))
      })
    case "object": {
      const properties = self.properties ?? {}
      const required = new Set(self.required ?? [])
      const entries = Object.entries(properties).map(([key, property]) => {
        const value = validValue(property, components, known)
        return [key, required.has(key) ? value : fc.option(value, { nil: undefined })] as const
      })
      return fc.record(Object.fromEntries(entries)).map((record) =>
        Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
      )
    }
    default:
      return fc.anything({ maxDepth: 1 })
  }
}

const controls = fc.constantFrom("\u0000", "\u0001", "\u0007", "\b", "\u001b", "\u007f", "\u0085", "\u009b")
const malformed = fc.constantFrom("\uD800", "\uDFFF", "\uDBFF\uDBFF", "\uFFFD", "\u202E", "\uFEFF")

/** Strings that have broken servers: NUL and other controls, lone surrogates, U+FFFD, injection, sheer size. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  // a control character or a malformed code unit somewhere in otherwise plain text: what reaches a query
  {
    weight: 10,
    arbitrary: fc.tuple(
      fc.string({ maxLength: 8 }),
      fc.oneof(controls, controls, malformed),
      fc.string({ maxLength: 8 })
    )
      .map(([before, bad, after]) => `${before}${bad}${after}`)
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "\u0000",
      "\u0000\u0000\u0000",
      "\u001b[31mred\u001b[0m",
      "'; DROP TABLE products; --",
      "' OR '1'='1",
      "%00",
      "%",
      "../../../../etc/passwd",
      "${jndi:ldap://x}",
      "{{7*7}}",
      "<script>alert(1)</script>",
      "🐭".repeat(100),
      " ",
      "",
      "null",
      "\\",
      "\"",
      "prod_\u0000",
      "ord_' OR 1=1"
    )
  },
  { weight: 2, arbitrary: fc.constantFrom("NaN", "-1", "1e309", "99999999999999999999999999", "0x1F", "-0", "1.5") },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.nat({ max: 70_000 }).map((length) => "a".repeat(length)) }
)

/** Numbers at and beyond every edge: the largest doubles, -0, unsafe integers, fractions of cents. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    -1,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MIN_SAFE_INTEGER - 2,
    2 ** 31,
    2 ** 63,
    0.1 + 0.2,
    1e-7,
    29.999,
    5e-324
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true })
)

/** Any hostile JSON value: a string or number from above, or the wrong type altogether. */
export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}, [[]], { $ne: 1 }, JSON.parse("{\"__proto__\":{\"admin\":true}}")),
  fc.anything({ maxDepth: 3 })
)
