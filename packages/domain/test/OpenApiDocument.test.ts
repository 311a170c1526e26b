import { assert, describe, it } from "@effect/vitest"
import { Ajv2020 } from "ajv/dist/2020.js"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { openApiDocumentText } from "../src/api/OpenApiDocumentation.ts"
import { ProblemTypes } from "../src/ProblemCatalog.ts"
import * as Spec from "./fixtures/SpecExamples.ts"

const committedPath = resolve(import.meta.dirname, "../../../docs/openapi.json")
const committed = readFileSync(committedPath, "utf8")
const document = JSON.parse(committed)

type Operation = { operationId: string; parameters: Array<any>; requestBody?: any; responses: Record<string, any> }
const operations: Array<{ path: string; method: string; operation: Operation }> = Object.entries(
  document.paths as Record<string, Record<string, Operation>>
).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ path, method, operation })))
const byId = (id: string) => operations.find((entry) => entry.operation.operationId === id)!.operation

const pointer = (...segments: Array<string>) =>
  segments.map((segment) => segment.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")

// The document's schemas are JSON Schema 2020-12: each example is validated against the schema it illustrates, its
// $refs resolved in the document itself.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true })
ajv.addSchema(document, "openapi")
const validate = (schemaPointer: string, value: unknown) => {
  const check = ajv.compile({ $ref: `openapi#/${schemaPointer}` })
  return check(value) ? "valid" : ajv.errorsText(check.errors)
}

/** Every example of every request and response body, with where its schema is. */
const bodyExamples = operations.flatMap(({ path, method, operation }) => {
  const bodies: Array<[string[], any]> = [
    ...Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) =>
      [["paths", path, method, "requestBody", "content", type], media] as [string[], any]
    ),
    ...Object.entries(operation.responses).flatMap(([status, response]) =>
      Object.entries(response.content ?? {}).map(([type, media]) =>
        [["paths", path, method, "responses", status, "content", type], media] as [string[], any]
      )
    )
  ]
  return bodies.flatMap(([where, media]) =>
    Object.entries(media.examples ?? {}).map(([name, example]: [string, any]) => ({
      where: `${operation.operationId} ${where.slice(3).join(" ")} ${name}`,
      schema: pointer(...where, "schema"),
      value: example.value
    }))
  )
})

describe("the OpenAPI document (docs/openapi.json)", () => {
  it("is what the contract generates: run `npm run openapi` after changing the contract", async () => {
    const generated = await openApiDocumentText()
    // A failure here means the committed document is stale; the diff of the two texts shows where.
    assert.strictEqual(committed, generated)
  })

  it("carries the specification's usage examples 2 to 5 verbatim", () => {
    const example = (id: string, status?: string) => {
      const operation = byId(id)
      const media = status === undefined
        ? operation.requestBody.content["application/json"]
        : operation.responses[status].content["application/json"]
      return (Object.values(media.examples)[0] as { value: unknown }).value
    }
    assert.deepStrictEqual(example("products.create"), Spec.createProductRequest)
    assert.deepStrictEqual(example("products.create", "201"), Spec.createProductResponse)
    assert.deepStrictEqual(example("products.search", "200"), Spec.searchResponse)
    const query = new URL(Spec.searchPath, "http://x").searchParams
    for (const parameter of byId("products.search").parameters.filter((p) => query.has(p.name))) {
      assert.strictEqual(parameter.example, query.get(parameter.name), parameter.name)
    }
    assert.deepStrictEqual(example("orders.create"), Spec.createOrderRequest)
    assert.deepStrictEqual(example("orders.create", "202"), Spec.createOrderResponse)
    assert.deepStrictEqual(example("orders.get", "200"), Spec.orderStatusResponse)
  })

  it("has an example of every request body and every answer of every operation", () => {
    for (const { operation } of operations) {
      for (const media of Object.values(operation.requestBody?.content ?? {}) as Array<any>) {
        assert.isNotEmpty(Object.keys(media.examples ?? {}), `${operation.operationId} request`)
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {}) as Array<[string, any]>) {
          // problems of the framework's own (500 without a type of ours) need none
          if (status === "500" && type === "application/problem+json") continue
          assert.isNotEmpty(Object.keys(media.examples ?? {}), `${operation.operationId} ${status} ${type}`)
        }
      }
    }
  })

  it("has examples that its own schemas accept", () => {
    assert.isAtLeast(bodyExamples.length, 40)
    for (const example of bodyExamples) {
      assert.strictEqual(validate(example.schema, example.value), "valid", example.where)
    }
    for (const { path, method, operation } of operations) {
      operation.parameters.forEach((parameter, index) => {
        if (parameter.example === undefined) return
        const where = pointer("paths", path, method, "parameters", String(index), "schema")
        assert.strictEqual(validate(where, parameter.example), "valid", `${operation.operationId} ${parameter.name}`)
      })
    }
  })

  it("can fail: an example that breaks its schema is caught", () => {
    const example = bodyExamples.find((entry) => entry.where.startsWith("orders.create requestBody"))!
    assert.notStrictEqual(validate(example.schema, { ...(example.value as object), payment_method: 42 }), "valid")
    assert.notStrictEqual(validate(example.schema, { ...(example.value as object), extra: true }), "valid")
  })

  it("documents the response headers the gateway sets", () => {
    const headersOf = (response: any) => Object.keys(response.headers ?? {})
    for (const { path, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        const where = `${operation.operationId} ${status}`
        const headers = headersOf(response)
        assert.include(headers, "X-Request-Id", where)
        if (path.startsWith("/api/v1/")) {
          assert.includeMembers(headers, ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining"])
        }
        if (status === "429" || status === "503") assert.include(headers, "Retry-After", where)
        if (status === "201" || status === "202") assert.include(headers, "Location", where)
      }
    }
    for (const status of ["201", "202"]) {
      assert.include(headersOf(byId("orders.create").responses[status]), "Idempotent-Replayed")
    }
    for (const id of ["products.list", "products.search", "orders.list"]) {
      assert.include(headersOf(byId(id).responses["200"]), "Link", id)
    }
    for (const name of Object.keys(document.components.headers)) {
      assert.isString(document.components.headers[name].description, name)
    }
  })

  it("documents the Idempotency-Key request header of POST /api/v1/orders", () => {
    const header = byId("orders.create").parameters.find((parameter) => parameter.in === "header")
    assert.strictEqual(header?.name, "Idempotency-Key")
    assert.isFalse(header.required)
    assert.strictEqual(header.schema.$ref, "#/components/schemas/IdempotencyKey")
  })

  it("names the gateway serving it and a local one as servers", () => {
    assert.deepStrictEqual(document.servers.map((server: { url: string }) => server.url), [
      "/",
      "http://localhost:8080"
    ])
  })

  it("says where each problem type is documented, and the catalog documents each one", () => {
    const problems = Object.values(document.components.schemas as Record<string, any>).filter((schema) =>
      String(schema?.properties?.type?.enum?.[0]).startsWith("/problems/")
    )
    assert.isAtLeast(problems.length, 10)
    for (const schema of problems) {
      const type = schema.properties.type.enum[0] as string
      const entry = ProblemTypes.find((problem) => problem.type === type)
      assert.isDefined(entry, type)
      assert.include(schema.description, `Documented at ${type}`)
      assert.strictEqual(schema.properties.status.enum[0], entry!.status, type)
      assert.sameMembers(
        entry!.members.map((member) => member.name),
        Object.keys(schema.properties).filter((name) =>
          !["type", "title", "status", "detail", "instance"].includes(name)
        ),
        type
      )
    }
  })
})
