import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import { Agent, request } from "undici"
import { startRealPlatform } from "./fixtures/RealPlatform.ts"
import { sign } from "./fixtures/Tokens.ts"
import { type HostileRequest, hostileRequests, type OpenApiDocument } from "./hostile/HostileRequests.ts"

// CI sends a bounded number (well under a minute); `npm run test:hostile` sends many more.
const count = Number(process.env.HOSTILE_REQUESTS ?? 2000)
const seed = Number(process.env.HOSTILE_SEED ?? Date.now() % 2 ** 31)

interface Answer {
  readonly request: HostileRequest
  readonly status: number
  readonly contentType: string
  readonly body: string
}

const send = (dispatcher: Agent, base: string, hostile: HostileRequest): Promise<Answer> =>
  request(`${base}${hostile.path}`, {
    dispatcher,
    method: hostile.method as "GET",
    headers: hostile.headers,
    ...(hostile.body === undefined || hostile.method === "GET" ? {} : { body: hostile.body }),
    headersTimeout: 15_000,
    bodyTimeout: 15_000
  }).then(async (response) => ({
    request: hostile,
    status: response.statusCode,
    contentType: String(response.headers["content-type"] ?? ""),
    body: await response.body.text()
  }))

const describeRequest = (answer: Answer) =>
  `${answer.status} ${answer.request.method} ${answer.request.path.slice(0, 300)} ${
    JSON.stringify(answer.request.headers).slice(0, 200)
  } body=${answer.request.body?.toString("utf8").slice(0, 300)} -> ${answer.body.slice(0, 300)}`

describe("hostile input against the running gateway and real backends", () => {
  it.live(
    `${count} requests generated from the OpenAPI document: no 5xx, every error a problem+json`,
    () =>
      Effect.gen(function*() {
        const platform = yield* startRealPlatform()
        const document = yield* Effect.promise(() =>
          fetch(`${platform.gateway}/openapi.json`).then((r) => r.json() as Promise<OpenApiDocument>)
        )
        const tokens = {
          customer: yield* Effect.promise(() => sign("user_hostile", [], { expiresIn: "1h" })),
          admin: yield* Effect.promise(() => sign("admin_hostile", ["admin"], { expiresIn: "1h" }))
        }
        // Real rows to aim at: hostile values next to ids that exist reach the deepest code (stock, orders).
        const post = (path: string, token: string, body: unknown) =>
          Effect.promise(() =>
            fetch(`${platform.gateway}${path}`, {
              method: "POST",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: JSON.stringify(body)
            }).then((r) => r.json() as Promise<{ id?: string; order_id?: string }>)
          )
        const productIds = yield* Effect.forEach([1, 2, 3], (n) =>
          Effect.map(
            post("/api/v1/products", tokens.admin, {
              name: `Hostile Target ${n}`,
              price: 9.99,
              sku: `HOSTILE-${n}-${seed}`,
              inventory: 1_000_000,
              category: "Targets"
            }),
            (created) => created.id!
          ))
        const order = yield* post("/api/v1/orders", tokens.customer, {
          items: [{ product_id: productIds[0], quantity: 1 }],
          shipping_address: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
          payment_method: "credit_card",
          idempotency_key: `hostile-${seed}`
        })
        const cursor = yield* Effect.promise(() =>
          fetch(`${platform.gateway}/api/v1/products?limit=1`).then((r) => r.json() as Promise<{ next_cursor: string }>)
        )
        // Valid values where the document's encoded form is looser than the rule (a page is a decimal string there).
        const known = {
          ProductId: productIds,
          OrderId: [order.order_id!],
          Category: ["Targets"],
          PageNumberEncoded: ["1", "2"],
          PageLimitEncoded: ["1", "20", "100"],
          ProductListCursor: [cursor.next_cursor]
        }
        const requests = fc.sample(hostileRequests(document, tokens, known), { numRuns: count, seed })
        const dispatcher = new Agent({ connections: 8 })
        const answers: Array<Answer> = []
        const failures: Array<string> = []
        yield* Effect.forEach(requests, (hostile) =>
          Effect.tryPromise({
            try: () => send(dispatcher, platform.gateway, hostile),
            catch: (error) => error
          }).pipe(
            Effect.match({
              onSuccess: (answer) => void answers.push(answer),
              // a connection the server closed on purpose (too large, too slow) is an answer too; anything else is not
              onFailure: (error) =>
                void failures.push(
                  `${hostile.method} ${hostile.path.slice(0, 200)} ${
                    hostile.headers["content-type"]
                  } body ${hostile.body?.length}: ${String(error)} ${
                    String((error as { cause?: unknown }).cause ?? "")
                  }`
                )
            })
          ), { concurrency: 8, discard: true })
        yield* Effect.promise(() => dispatcher.close())

        const statuses: Record<number, number> = {}
        for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
        const byOperation: Record<string, number> = {}
        for (const answer of answers) {
          byOperation[answer.request.operation] = (byOperation[answer.request.operation] ?? 0) + 1
        }
        yield* Effect.logInfo(
          `hostile input: ${answers.length} answers (seed ${seed}), statuses ${JSON.stringify(statuses)}`
        )
        yield* Effect.logInfo(`hostile input by operation: ${JSON.stringify(byOperation)}`)

        const serverErrors = answers.filter((answer) => answer.status >= 500)
        assert.deepStrictEqual(
          serverErrors.slice(0, 5).map(describeRequest),
          [],
          `5xx answers (seed ${seed})\n${platform.logs()}`
        )
        const notProblems = answers.filter((answer) =>
          answer.status >= 400 && !answer.contentType.startsWith("application/problem+json")
        )
        assert.deepStrictEqual(notProblems.slice(0, 5).map(describeRequest), [], "errors that are not problem+json")
        // A 400 names what is wrong: the failing members (`errors`, each with its path), or the field.
        const unexplained = answers.filter((answer) => {
          if (answer.status !== 400) return false
          const problem = JSON.parse(answer.body) as { errors?: Array<{ path?: Array<unknown> }>; field?: string }
          return !(problem.errors?.some((issue) => (issue.path?.length ?? 0) > 0) === true ||
            problem.field !== undefined)
        })
        assert.deepStrictEqual(unexplained.slice(0, 5).map(describeRequest), [], "400s that do not say what is wrong")
        // the run reached every operation and most answers were refusals, not timeouts or crashes
        assert.strictEqual(Object.keys(byOperation).length, Object.values(document.paths).flatMap(Object.keys).length)
        assert.isAbove(answers.length, count * 0.99)
      }).pipe(Effect.scoped),
    { timeout: Math.max(300_000, count * 60) }
  )
})
