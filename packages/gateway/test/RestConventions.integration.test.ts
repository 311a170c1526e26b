import { assert, describe, it } from "@effect/vitest"
import { DatabaseAt } from "@shop/service-defaults/testing/TestDatabase"
import { Effect, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { startRealPlatform } from "./fixtures/RealPlatform.ts"
import { sign } from "./fixtures/Tokens.ts"

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Record<string, any>
}

const call = (url: string, init: RequestInit = {}): Effect.Effect<Answer> =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === "" ? {} : JSON.parse(text) }
  })

const address = { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" }

/** Counts rows of the order service's own database, read from outside the platform. */
const countOrders = (databaseUrl: string, userId: string, key: string) =>
  SqlClient.SqlClient.use((sql) =>
    sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM orders
      WHERE user_id = ${userId} AND idempotency_key = ${key}`
  ).pipe(Effect.map((rows) => rows[0]?.n ?? -1), Effect.provide(DatabaseAt(databaseUrl)), Effect.orDie)

describe("REST conventions through the gateway, on the real services", () => {
  it.live(
    "Idempotency-Key, replays, 409 in flight, 422 on reuse, a race of identical requests, status lists",
    () =>
      Effect.gen(function*() {
        const platform = yield* startRealPlatform()
        const base = platform.gateway
        const admin = yield* Effect.promise(() => sign("admin_conventions", ["admin"], { expiresIn: "1h" }))
        const userId = `user_conv${Date.now().toString(36)}`
        const customer = yield* Effect.promise(() =>
          sign(userId, [], { expiresIn: "1h", email: "conventions@example.com" })
        )
        const json = (token: string, extra: Record<string, string> = {}) => ({
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          ...extra
        })

        // A product, created with a Location that leads to it
        const created = yield* call(`${base}/api/v1/products`, {
          method: "POST",
          headers: json(admin),
          body: JSON.stringify({
            name: "Desk Lamp",
            price: 19.99,
            sku: `LAMP-${Date.now()}`,
            inventory: 1000,
            category: "Home"
          })
        })
        assert.strictEqual(created.status, 201, JSON.stringify(created.body))
        const productUrl = created.headers.get("location")
        assert.strictEqual(productUrl, `${base}/api/v1/products/${created.body["id"]}`)
        assert.strictEqual((yield* call(productUrl!)).body["id"], created.body["id"])

        const order = (paymentMethod = "pm_card_visa", quantity = 1) => ({
          items: [{ product_id: created.body["id"], quantity }],
          shipping_address: address,
          payment_method: paymentMethod
        })
        const post = (body: unknown, headers: Record<string, string> = {}) =>
          call(`${base}/api/v1/orders`, {
            method: "POST",
            headers: json(customer, headers),
            body: JSON.stringify(body)
          })

        // The Idempotency-Key header alone is enough; a repeat says it is a replay and makes nothing new
        const key = `conv-${crypto.randomUUID()}`
        const first = yield* post(order(), { "idempotency-key": key })
        assert.include([201, 202], first.status, JSON.stringify(first.body))
        assert.isNull(first.headers.get("idempotent-replayed"))
        const orderUrl = first.headers.get("location")
        assert.strictEqual(orderUrl, `${base}/api/v1/orders/${first.body["order_id"]}`)
        const fetched = yield* call(orderUrl!, { headers: json(customer) })
        assert.strictEqual(fetched.body["order_id"], first.body["order_id"])
        const again = yield* post(order(), { "idempotency-key": key })
        assert.include([201, 202], again.status)
        assert.strictEqual(again.headers.get("idempotent-replayed"), "true")
        assert.strictEqual(again.body["order_id"], first.body["order_id"])
        // the body's member names the same key: the same request again
        const inBody = yield* post({ ...order(), idempotency_key: key })
        assert.strictEqual(inBody.headers.get("idempotent-replayed"), "true")
        assert.strictEqual(inBody.body["order_id"], first.body["order_id"])
        // header and member naming different keys: a 400 naming the conflict
        const ambiguous = yield* post({ ...order(), idempotency_key: "another-key" }, { "idempotency-key": key })
        assert.strictEqual(ambiguous.status, 400)
        assert.strictEqual(ambiguous.body["field"], "Idempotency-Key")
        assert.include(ambiguous.body["detail"], "idempotency_key")
        // neither: a 400 naming what is missing
        const keyless = yield* post(order())
        assert.strictEqual(keyless.status, 400)
        assert.strictEqual(keyless.body["field"], "idempotency_key")
        // the key reused for another request: 422
        const reused = yield* post(order("pm_card_visa", 2), { "idempotency-key": key })
        assert.strictEqual(reused.status, 422)
        assert.strictEqual(reused.body["type"], "/problems/idempotency-key-reused")
        assert.strictEqual(yield* countOrders(platform.databases.order, userId, key), 1)

        // A request with the key still in flight, here on another replica (its claim row, as the order service
        // writes it): 409 for the same request, 422 for another, whichever gateway and order replica answers
        const busyKey = `conv-${crypto.randomUUID()}`
        const pending = yield* post(order(), { "idempotency-key": `${busyKey}-probe` })
        assert.include([201, 202], pending.status)
        yield* SqlClient.SqlClient.use((sql) =>
          sql`INSERT INTO order_requests (user_id, idempotency_key, request_fingerprint, claimed_by)
          SELECT user_id, ${busyKey}::text, request_fingerprint, 'another-replica' FROM orders
          WHERE user_id = ${userId} AND idempotency_key = ${`${busyKey}-probe`}`
        ).pipe(Effect.provide(DatabaseAt(platform.databases.order)), Effect.orDie)
        const inFlight = yield* post(order(), { "idempotency-key": busyKey })
        assert.strictEqual(inFlight.status, 409, JSON.stringify(inFlight.body))
        assert.strictEqual(inFlight.body["type"], "/problems/request-in-progress")
        assert.strictEqual(inFlight.body["request_id"], inFlight.headers.get("x-request-id"))
        const inFlightOther = yield* post(order("pm_card_visa", 3), { "idempotency-key": busyKey })
        assert.strictEqual(inFlightOther.status, 422)
        assert.strictEqual(yield* countOrders(platform.databases.order, userId, busyKey), 0)

        // A race of identical requests: one creates, every other replays or is told the first is in flight
        const raceKey = `conv-${crypto.randomUUID()}`
        const racers = yield* Effect.all(
          Array.from({ length: 12 }, () => post(order(), { "idempotency-key": raceKey })),
          { concurrency: "unbounded" }
        )
        const statuses = racers.map((answer) => answer.status)
        yield* Effect.logInfo(
          `idempotency race: ${racers.length} identical requests, answers ${
            JSON.stringify(
              racers.map((answer) => `${answer.status}${answer.headers.get("idempotent-replayed") ? " replayed" : ""}`)
            )
          }`
        )
        assert.isTrue(statuses.every((status) => [201, 202, 409].includes(status)), JSON.stringify(statuses))
        const succeeded = racers.filter((answer) => answer.status !== 409)
        assert.strictEqual(new Set(succeeded.map((answer) => answer.body["order_id"])).size, 1)
        const originals = succeeded.filter((answer) => answer.headers.get("idempotent-replayed") !== "true")
        assert.strictEqual(originals.length, 1, "exactly one answer is the original, the others replay it or wait")
        assert.strictEqual(yield* countOrders(platform.databases.order, userId, raceKey), 1, "never two orders")

        // Lists: the status filter is part of the query; has_more and Link follow the filtered list
        for (const paymentMethod of ["pm_card_visa", "pm_card_chargeDeclined", "pm_card_visa", "pm_card_visa"]) {
          yield* post(order(paymentMethod), { "idempotency-key": `conv-${crypto.randomUUID()}` })
        }
        const list = (url: string) => call(url, { headers: json(customer) })
        // Wait until every order of the user has ended its saga
        yield* list(`${base}/api/v1/orders?status=pending`).pipe(
          Effect.filterOrFail((answer) => answer.body["total"] === 0),
          Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 100 })))
        )
        const everything = yield* list(`${base}/api/v1/orders?limit=100`)
        const confirmed = (everything.body["orders"] as Array<{ order_id: string; status: string }>)
          .filter((listed) => listed.status === "confirmed")
        assert.isAtLeast(confirmed.length, 5)
        assert.isAtLeast(everything.body["total"], confirmed.length + 1, "some orders are not confirmed")
        const seen: Array<string> = []
        let page = yield* list(`${base}/api/v1/orders?status=confirmed&limit=2`)
        for (;;) {
          assert.strictEqual(page.status, 200)
          assert.strictEqual(page.body["total"], confirmed.length, "total counts only matching orders")
          const orders = page.body["orders"] as Array<{ order_id: string; status: string }>
          assert.isTrue(orders.every((listed) => listed.status === "confirmed"))
          seen.push(...orders.map((listed) => listed.order_id))
          const link = page.headers.get("link")
          if (!page.body["has_more"]) {
            assert.isNull(link)
            assert.isAtMost(orders.length, 2)
            break
          }
          assert.strictEqual(orders.length, 2, "pages before the last are full")
          const next = /^<([^>]+)>; rel="next"$/.exec(link ?? "")?.[1]
          assert.isDefined(next, link ?? "no Link header")
          const nextUrl = new URL(next!)
          assert.strictEqual(nextUrl.origin, base)
          assert.strictEqual(nextUrl.searchParams.get("status"), "confirmed")
          assert.strictEqual(nextUrl.searchParams.get("limit"), "2")
          assert.strictEqual(nextUrl.searchParams.get("cursor"), page.body["next_cursor"])
          page = yield* list(next!)
        }
        assert.deepStrictEqual(
          seen,
          confirmed.map((listed) => listed.order_id),
          "every confirmed order, once, in order"
        )
      }).pipe(Effect.scoped),
    { timeout: 180_000 }
  )
})
