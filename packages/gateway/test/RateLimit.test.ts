import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { connect } from "node:net"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const redisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379"

const redisReachable = () =>
  new Promise<boolean>((resolve) => {
    const url = new URL(redisUrl)
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379), timeout: 1_000 })
    socket.once("connect", () => (socket.destroy(), resolve(true)))
    socket.once("timeout", () => (socket.destroy(), resolve(false)))
    socket.once("error", () => resolve(false))
  })

const call = (baseUrl: string, token?: string) =>
  Effect.promise(() =>
    fetch(`${baseUrl}/api/v1/products`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
  )

const gateways = (count: number, env: Record<string, string>) =>
  Effect.gen(function*() {
    const backends = yield* Backends
    return yield* Effect.forEach(
      Array.from({ length: count }),
      () => startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address, ...env })
    )
  })

const limit = 5

describe("rate limiting", () => {
  it.live("memory store: exactly N requests pass per window, the next is a 429 problem with Retry-After", () =>
    Effect.gen(function*() {
      const [baseUrl] = yield* gateways(1, { RATE_LIMIT_CATALOG_READ: `${limit}/1m` })
      const token = yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, []))
      for (let i = 0; i < limit; i++) {
        const response = yield* call(baseUrl!, token)
        assert.strictEqual(response.status, 200)
        assert.strictEqual(response.headers.get("ratelimit-limit"), String(limit))
        assert.strictEqual(response.headers.get("ratelimit-remaining"), String(limit - 1 - i))
        assert.isAtLeast(Number(response.headers.get("ratelimit-reset")), 1)
      }
      const refused = yield* call(baseUrl!, token)
      assert.strictEqual(refused.status, 429)
      assert.strictEqual(refused.headers.get("content-type"), "application/problem+json")
      assert.isAtLeast(Number(refused.headers.get("retry-after")), 1)
      assert.strictEqual(refused.headers.get("ratelimit-remaining"), "0")
      const problem = yield* Effect.promise(() =>
        refused.json() as Promise<{ status: number; retry_after_seconds: number }>
      )
      assert.strictEqual(problem.status, 429)
      assert.isAtLeast(problem.retry_after_seconds, 1)
      // Budgets are per caller: another user, and anonymous callers (by address), start fresh.
      const other = yield* call(baseUrl!, yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, [])))
      assert.strictEqual(other.status, 200)
      const anonymous = yield* call(baseUrl!)
      assert.strictEqual(anonymous.status, 200)
      // Health is exempt.
      const health = yield* Effect.promise(() => fetch(`${baseUrl}/healthz`))
      assert.isNull(health.headers.get("ratelimit-limit"))
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))

  it.live("redis: two gateway instances share one budget once their buckets are reconciled", () =>
    Effect.gen(function*() {
      if (!(yield* Effect.promise(redisReachable))) {
        // CI provides Redis; a missing one there is a failure, never a skip.
        assert.notStrictEqual(process.env["CI"], "true", `Redis unreachable at ${redisUrl}`)
        return
      }
      const [a, b] = yield* gateways(2, {
        RATE_LIMIT_CATALOG_READ: `${limit}/1m`,
        RATE_LIMIT_SYNC_INTERVAL: "50 millis",
        REDIS_URL: redisUrl
      })
      const token = yield* Effect.promise(() => sign(`user_${crypto.randomUUID()}`, []))
      const statuses: Array<number> = []
      for (let i = 0; i < limit; i++) statuses.push((yield* call(i % 2 === 0 ? a! : b!, token)).status)
      assert.deepStrictEqual(statuses, Array.from({ length: limit }, () => 200))
      // Each gateway decides from its own buckets; within ten sync intervals both have learnt what the other spent.
      yield* Effect.sleep("1 second")
      const onA = yield* call(a!, token)
      const onB = yield* call(b!, token)
      assert.strictEqual(onA.status, 429)
      assert.strictEqual(onB.status, 429)
      assert.isAtLeast(Number(onB.headers.get("retry-after")), 1)
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})
