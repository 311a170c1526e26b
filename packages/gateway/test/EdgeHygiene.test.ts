import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { connect } from "node:net"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const withGateway = <A, E>(env: Record<string, string>, f: (baseUrl: string) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const backends = yield* Backends
    const baseUrl = yield* startGateway({
      PRODUCT_GRPC_ADDR: backends.address,
      ORDER_GRPC_ADDR: backends.address,
      ...env
    })
    return yield* f(baseUrl)
  }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer)))

/** Sends `chunks` on a raw connection and returns what the server answered, and when, within `waitMs`. */
const rawExchange = (baseUrl: string, chunks: ReadonlyArray<string>, waitMs: number) =>
  Effect.promise(() =>
    new Promise<{ readonly reply: string; readonly closedAfterMs: number | undefined }>((resolve) => {
      const { port } = new URL(baseUrl)
      const socket = connect({ host: "127.0.0.1", port: Number(port) })
      const started = Date.now()
      let reply = ""
      let closedAfterMs: number | undefined
      socket.on("data", (chunk) => (reply += chunk.toString("utf8")))
      const timer = setTimeout(() => socket.destroy(), waitMs)
      socket.on("close", () => {
        closedAfterMs = Date.now() - started
        clearTimeout(timer)
        resolve({ reply, closedAfterMs: closedAfterMs < waitMs ? closedAfterMs : undefined })
      })
      socket.on("error", () => undefined)
      socket.on("connect", () => chunks.forEach((chunk) => socket.write(chunk)))
    })
  )

const get = (url: string, headers: Record<string, string> = {}) => Effect.promise(() => fetch(url, { headers }))

describe("edge hygiene", () => {
  it.live("a client that trickles its headers or body is cut off after HTTP_READ_TIMEOUT with a 408", () =>
    withGateway({ HTTP_READ_TIMEOUT: "500 millis" }, (baseUrl) =>
      Effect.gen(function*() {
        const headers = yield* rawExchange(baseUrl, ["GET /api/v1/products HTTP/1.1\r\nHost: x\r\nX-Slow: "], 4_000)
        assert.match(headers.reply, /^HTTP\/1\.1 408/)
        assert.isBelow(headers.closedAfterMs ?? Infinity, 3_000)
        const body = yield* rawExchange(baseUrl, [
          "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n",
          "{\"items\":"
        ], 4_000)
        assert.isBelow(body.closedAfterMs ?? Infinity, 3_000, body.reply)
        assert.notMatch(body.reply, /^HTTP\/1\.1 5/)
      })))

  it.live("every answer says nosniff; orders are never stored by caches; no HSTS over plain HTTP", () =>
    withGateway({}, (baseUrl) =>
      Effect.gen(function*() {
        for (const path of ["/healthz", "/api/v1/products", "/nope", "/openapi.json"]) {
          const response = yield* get(`${baseUrl}${path}`)
          assert.strictEqual(response.headers.get("x-content-type-options"), "nosniff", path)
          assert.isNull(response.headers.get("strict-transport-security"), path)
        }
        const token = yield* Effect.promise(() => sign("user_hygiene", []))
        for (const headers of [{ authorization: `Bearer ${token}` }, {}]) {
          const orders = yield* get(`${baseUrl}/api/v1/orders`, headers)
          assert.strictEqual(orders.headers.get("cache-control"), "no-store", String(orders.status))
        }
        const catalog = yield* get(`${baseUrl}/api/v1/products`)
        assert.notStrictEqual(catalog.headers.get("cache-control"), "no-store")
      })))

  it.live("HSTS when a trusted proxy says the request came over TLS, not when anyone else says so", () =>
    Effect.gen(function*() {
      yield* withGateway({ TRUSTED_PROXIES: "127.0.0.1" }, (baseUrl) =>
        Effect.gen(function*() {
          const https = yield* get(`${baseUrl}/healthz`, { "x-forwarded-proto": "https" })
          assert.match(https.headers.get("strict-transport-security") ?? "", /^max-age=\d+/)
          const http = yield* get(`${baseUrl}/healthz`, { "x-forwarded-proto": "http" })
          assert.isNull(http.headers.get("strict-transport-security"))
        }))
      yield* withGateway({}, (baseUrl) =>
        Effect.gen(function*() {
          const claimed = yield* get(`${baseUrl}/healthz`, { "x-forwarded-proto": "https" })
          assert.isNull(claimed.headers.get("strict-transport-security"))
        }))
    }))

  it.live("a spoofed X-Forwarded-For does not buy a fresh budget; behind a trusted proxy the client is keyed", () =>
    Effect.gen(function*() {
      const limit = { RATE_LIMIT_CATALOG_READ: "2/1m" }
      yield* withGateway(limit, (baseUrl) =>
        Effect.gen(function*() {
          const statuses: Array<number> = []
          for (let i = 0; i < 4; i++) {
            statuses.push((yield* get(`${baseUrl}/api/v1/products`, { "x-forwarded-for": `198.51.100.${i}` })).status)
          }
          assert.deepStrictEqual(statuses, [200, 200, 429, 429])
        }))
      yield* withGateway({ ...limit, TRUSTED_PROXIES: "127.0.0.0/8" }, (baseUrl) =>
        Effect.gen(function*() {
          const from = (client: string) =>
            Effect.map(get(`${baseUrl}/api/v1/products`, { "x-forwarded-for": `6.6.6.6, ${client}` }), (r) => r.status)
          assert.deepStrictEqual([yield* from("203.0.113.1"), yield* from("203.0.113.1")], [200, 200])
          assert.strictEqual(yield* from("203.0.113.1"), 429)
          assert.strictEqual(yield* from("203.0.113.2"), 200) // another client behind the same proxy
        }))
    }))

  it.live("with Redis unreachable the limiter still limits, on the gateway's own buckets, and nothing fails", () =>
    withGateway(
      { RATE_LIMIT_CATALOG_READ: "3/1m", REDIS_URL: "redis://127.0.0.1:1" },
      (baseUrl) =>
        Effect.gen(function*() {
          const statuses: Array<number> = []
          for (let i = 0; i < 5; i++) statuses.push((yield* get(`${baseUrl}/api/v1/products`)).status)
          assert.deepStrictEqual(statuses, [200, 200, 200, 429, 429])
        })
    ))

  it.live("the retired TRUST_PROXY setting is refused with a pointer to TRUSTED_PROXIES", () =>
    Effect.gen(function*() {
      const error = yield* startGateway({ TRUST_PROXY: "true" }).pipe(Effect.scoped, Effect.flip)
      assert.include(String((error as { message?: string }).message), "TRUSTED_PROXIES")
    }))
})
