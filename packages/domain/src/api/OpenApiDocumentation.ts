import { OpenApi } from "effect/http-api"
import { ProblemTypes } from "../ProblemCatalog.ts"
import * as AdminExamples from "./AdminApiExamples.ts"
import * as Examples from "./OpenApiExamples.ts"

/**
 * What the OpenAPI document says beyond the schemas `OpenApi.fromApi` derives from the contract: the examples of
 * every operation (`OpenApiExamples.ts`), the response headers the gateway sets, the `Idempotency-Key` request header,
 * and where each problem type is documented. Applied as the `transform` annotation of `ShopApi`, so the contract's
 * files stay about schemas and every generator of the document (`/openapi.json`, `npm run openapi`) gets the same.
 * Each addition is made only where the generated document lacks it, so a header or parameter that the contract comes
 * to declare itself wins.
 */

type Json = Record<string, any>

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })

/** The response headers, defined once under `components.headers`. */
const headers: Record<string, Json> = {
  "X-Request-Id": {
    description: "The request's id: the caller's `X-Request-Id` when it sent a well-formed one, else one the gateway " +
      "made. Problems carry it as `request_id`; quote it to support, it finds the request's trace.",
    schema: { type: "string" },
    example: "req_01JB6Y2K8J9Q4T5V6W7X8Y9Z0A"
  },
  "RateLimit-Policy": {
    description: "The quota of this route class for the caller (IETF draft `RateLimit` header fields): `q` " +
      "requests per window of `w` seconds.",
    schema: { type: "string" },
    example: "\"order-write\";q=60;w=60"
  },
  "RateLimit": {
    description: "What is left of the quota (IETF draft `RateLimit` header fields): `r` requests remaining, `t` " +
      "seconds until the quota is whole again.",
    schema: { type: "string" },
    example: "\"order-write\";r=59;t=1"
  },
  "RateLimit-Limit": {
    description: "The quota of this route class, in requests (earlier draft; kept for existing clients).",
    schema: { type: "integer", minimum: 0 },
    example: 60
  },
  "RateLimit-Remaining": {
    description: "Requests left before the limit applies (earlier draft; kept for existing clients).",
    schema: { type: "integer", minimum: 0 },
    example: 59
  },
  "RateLimit-Reset": {
    description: "Seconds until the budget is whole again (earlier draft; kept for existing clients).",
    schema: { type: "integer", minimum: 0 },
    example: 1
  },
  "Retry-After": {
    description: "Seconds to wait before the next request may succeed.",
    schema: { type: "integer", minimum: 0 },
    example: 1
  },
  "Location": {
    description: "The URL of the created resource (`GET` it to follow the order).",
    schema: { type: "string", format: "uri-reference" },
    example: "/api/v1/orders/ord_xyz789"
  },
  "Idempotent-Replayed": {
    description: "`true` when this answer is the stored answer of an earlier request with the same idempotency " +
      "key, sent again rather than placing a second order; absent otherwise.",
    schema: { type: "string", enum: ["true"] },
    example: "true"
  },
  "Link": {
    description: "RFC 8288 links to neighbouring pages: `<...>; rel=\"next\"` while there is a next page.",
    schema: { type: "string" },
    example: "</api/v1/orders?limit=20&cursor=WyIyMDI1LTEwLTIxVDEwOjM1OjAwWiIsIm9yZF94eXo3ODkiXQ>; rel=\"next\""
  }
}

const rateLimitHeaders = ["RateLimit-Policy", "RateLimit", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]

/** Per operation: its examples, and the headers of its answers beyond the common ones. */
interface OperationDocumentation {
  readonly request?: { readonly summary: string; readonly value: unknown }
  readonly parameters?: Record<string, unknown>
  readonly responses: Record<string, ReadonlyArray<{ readonly summary: string; readonly value: unknown }>>
  readonly location?: boolean
  readonly replayed?: boolean
  readonly link?: boolean
  readonly limited?: boolean
}

const operations: Record<string, OperationDocumentation> = {
  "products.create": {
    request: { summary: "Usage example 2: create a product", value: Examples.createProductRequest },
    responses: { "201": [{ summary: "Usage example 2: the created product", value: Examples.createProductResponse }] },
    location: true
  },
  "products.list": {
    parameters: { limit: 20 },
    responses: { "200": [{ summary: "A page of the catalog", value: Examples.productList }] },
    link: true
  },
  "products.search": {
    parameters: Examples.searchQuery,
    responses: { "200": [{ summary: "Usage example 3: search results", value: Examples.searchResponse }] },
    link: true
  },
  "products.get": {
    parameters: { id: Examples.product.id },
    responses: { "200": [{ summary: "Example 2's product with real-time stock", value: Examples.productDetails }] }
  },
  "products.update": {
    parameters: { id: Examples.product.id },
    request: { summary: "A new price and stock level", value: Examples.updateProductRequest },
    responses: { "200": [{ summary: "The updated product", value: Examples.updatedProduct }] }
  },
  "orders.create": {
    request: { summary: "Usage example 4: an order of two products", value: Examples.createOrderRequest },
    responses: {
      "202": [{ summary: "Usage example 4: accepted, the saga still runs", value: Examples.createOrderAccepted }],
      "201": [{ summary: "The saga ended within the request", value: Examples.createOrderCompleted }]
    },
    location: true,
    replayed: true
  },
  "orders.get": {
    parameters: { id: Examples.orderStatusResponse.order_id },
    responses: { "200": [{ summary: "Usage example 5: a confirmed order", value: Examples.orderStatusResponse }] }
  },
  "orders.list": {
    parameters: { limit: 20, status: "confirmed" },
    responses: { "200": [{ summary: "The caller's orders", value: Examples.orderList }] },
    link: true
  },
  "admin.orders": {
    parameters: { limit: 20, status: "confirmed" },
    responses: { "200": [{ summary: "Every customer's confirmed orders", value: Examples.orderList }] },
    link: true
  },
  "admin.sagas": {
    responses: { "200": [{ summary: "A saga waiting for its refund", value: { sagas: [AdminExamples.saga] } }] }
  },
  "admin.retrySaga": {
    parameters: { order_id: AdminExamples.saga.order_id },
    responses: { "200": [{ summary: "The saga, due now", value: AdminExamples.retriedSaga }] }
  },
  "admin.refunds": {
    responses: {
      "200": [{ summary: "A refund the processor refused", value: { refunds: [AdminExamples.parkedRefund] } }]
    }
  },
  "admin.retryRefund": {
    parameters: { refund_id: AdminExamples.parkedRefund.refund_id },
    responses: { "200": [{ summary: "Confirmed by the processor", value: AdminExamples.refundRetried }] }
  },
  "admin.deadLetters": {
    responses: {
      "200": [{ summary: "An SMS that failed", value: { dead_letters: [AdminExamples.deadLetter] } }]
    }
  },
  "admin.redriveDeadLetter": {
    parameters: { id: AdminExamples.deadLetter.id },
    responses: { "200": [{ summary: "Back in the delivery queue", value: AdminExamples.deadLetter }] }
  },
  "admin.breakers": {
    responses: {
      "200": [{ summary: "The processor's breaker open", value: { breakers: AdminExamples.breakers } }]
    }
  },
  "admin.consumers": {
    responses: {
      "200": [{ summary: "The notification consumer", value: { consumers: AdminExamples.consumers } }]
    }
  },
  "admin.outbox": {
    responses: { "200": [{ summary: "Two events not published yet", value: AdminExamples.outboxBacklog }] }
  },
  "health.check": {
    responses: {
      "200": [{ summary: "Every backend is up", value: Examples.healthReport }],
      "503": [{ summary: "A required backend is down", value: Examples.unhealthy }]
    },
    limited: false
  }
}

const idempotencyKeyParameter = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description: "Makes the request safe to retry (IETF draft `Idempotency-Key` header): the same key with the same " +
    "body answers the first request's order again (`Idempotent-Replayed: true`); with another body it is a 422, and " +
    "while the first request is still in flight a 409. The body's `idempotency_key` does the same; when both are " +
    "given they must be equal (else a 400).",
  schema: { $ref: "#/components/schemas/IdempotencyKey" },
  example: Examples.createOrderRequest.idempotency_key
}

const knownProblems = new Map(
  ProblemTypes.map((problem) => [problem.slug, problem] as const)
)

/** The problem types a response's schema refers to (`#/components/schemas/NotFoundProblem` -> `not-found`). */
const problemSlugs = (schema: unknown): Array<string> => {
  const found: Array<string> = []
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node === null || typeof node !== "object") return
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        const name = value.slice(value.lastIndexOf("/") + 1)
        if (name === "BadRequestProblemEncoded") found.push("about:blank")
        const tag = /^(\w+)Problem$/.exec(name)?.[1]
        if (tag !== undefined) found.push(tag.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase())
      } else visit(value)
    }
  }
  visit(schema)
  return found.filter((slug) => slug === "about:blank" || knownProblems.has(slug))
}

const addHeader = (response: Json, name: string) => {
  response.headers ??= {}
  const taken = Object.keys(response.headers).some((key) => key.toLowerCase() === name.toLowerCase())
  if (!taken) response.headers[name] = ref(name)
}

const documentOperation = (operation: Json) => {
  const docs = operations[operation.operationId as string]
  if (docs === undefined) return
  if (docs.request !== undefined) {
    for (const media of Object.values(operation.requestBody?.content ?? {}) as Array<Json>) {
      media.examples ??= { example: docs.request }
    }
  }
  for (const parameter of operation.parameters as Array<Json>) {
    const value = docs.parameters?.[parameter.name]
    // Parameters travel as text: their schemas are the string encodings (`limit` is "20")
    if (value !== undefined && parameter.example === undefined) parameter.example = String(value)
  }
  for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
    const code = Number(status)
    const media = Object.entries(response.content ?? {}) as Array<[string, Json]>
    const examples = docs.responses[status]
    for (const [contentType, content] of media) {
      if (examples !== undefined && contentType === "application/json") {
        content.examples ??= Object.fromEntries(
          examples.map((example, i) => [i === 0 ? "example" : `example${i}`, example])
        )
      } else if (contentType === "application/problem+json" && content.examples === undefined) {
        const named = examples === undefined
          ? problemSlugs(content.schema).flatMap((slug) => {
            const value = Examples.problems[slug]
            return value === undefined ? [] : [[slug, { summary: String(value["title"]), value }] as const]
          })
          : examples.map((example, i) => [`example${i}`, example] as const)
        if (named.length > 0) content.examples = Object.fromEntries(named)
      }
    }
    addHeader(response, "X-Request-Id")
    if (docs.limited !== false) rateLimitHeaders.forEach((name) => addHeader(response, name))
    if (code === 429 || code === 503) addHeader(response, "Retry-After")
    if (docs.location === true && (code === 201 || code === 202)) addHeader(response, "Location")
    if (docs.replayed === true && code >= 200 && code < 300) addHeader(response, "Idempotent-Replayed")
    if (docs.link === true && code === 200) addHeader(response, "Link")
  }
  if (operation.operationId === "orders.create") {
    const declared = (operation.parameters as Array<Json>).some((parameter) =>
      parameter.in === "header" && String(parameter.name).toLowerCase() === "idempotency-key"
    )
    if (!declared) operation.parameters.push(idempotencyKeyParameter)
  }
}

const problemsSection = "\n\n## Problems\n\nEvery 4xx and 5xx answer is an RFC 9457 problem " +
  "(`application/problem+json`). Its `type` is a URI reference such as `/problems/not-found`: resolved against the " +
  "API's URL it is the page that documents the problem type (`GET /problems` lists them all). `about:blank` is a bare " +
  "HTTP status, such as a request that fails the schema (400, with an `errors` list naming each invalid value)." +
  "\n\n## Headers\n\nEvery answer carries `X-Request-Id`. Answers of `/api/v1` carry the caller's rate-limit budget " +
  "(`RateLimit-Policy` and `RateLimit` of the IETF draft, and the earlier `RateLimit-Limit`, `-Remaining`, " +
  "`-Reset`); a 429 or 503 says when to come back in `Retry-After`. A 201 or 202 names what it created in " +
  "`Location`; lists link their next page in `Link`."

/** Adds examples, response headers, the `Idempotency-Key` parameter and the problem pages to a generated document. */
export const documentOpenApi = (spec: Json): Json => {
  spec.components ??= {}
  spec.components.headers = { ...headers, ...spec.components.headers }
  spec.info.description = `${spec.info.description ?? ""}${problemsSection}`
  for (const pathItem of Object.values(spec.paths ?? {}) as Array<Json>) {
    for (const operation of Object.values(pathItem) as Array<Json>) {
      if (typeof operation === "object" && operation !== null && "responses" in operation) documentOperation(operation)
    }
  }
  for (const problem of ProblemTypes) {
    const name = Object.keys(spec.components.schemas ?? {}).find((component) => {
      const schema = spec.components.schemas[component]
      return schema?.properties?.type?.enum?.[0] === problem.type
    })
    if (name !== undefined) {
      const schema = spec.components.schemas[name]
      schema.description = `${problem.title} (${problem.status}). ${problem.when} Documented at ${problem.type}.`
    }
  }
  return spec
}

/**
 * The document as committed in `docs/openapi.json`: `OpenApi.fromApi(ShopApi)` (this module's transform included),
 * two-space JSON with a final newline. Imported lazily: `ShopApi` itself imports this module.
 */
export const openApiDocumentText = async (): Promise<string> => {
  const { ShopApi } = await import("../ShopApi.ts")
  return `${JSON.stringify(OpenApi.fromApi(ShopApi), null, 2)}\n`
}
