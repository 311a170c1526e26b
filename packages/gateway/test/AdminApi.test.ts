import { assert, describe, it } from "@effect/vitest"
import { Conflict, NotFound } from "@shop/domain"
import { NotificationAdminServiceService } from "@shop/proto/notification/v1/notification_admin"
import { type Order, OrderStatus } from "@shop/proto/order/v1/order"
import { OrderAdminServiceService, type SagaSummary } from "@shop/proto/order/v1/order_admin"
import { PaymentStatus, RefundStatus } from "@shop/proto/payment/v1/payment"
import * as GrpcServer from "@shop/service-defaults/grpc/GrpcServer"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Context, Effect, Layer } from "effect"
import { startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

const at = "2026-01-02T03:04:05.000Z"
const saga: SagaSummary = {
  orderId: "ord_stuck1",
  sagaId: "saga_stuck1",
  step: "refund",
  state: "stuck",
  attempts: 14,
  lastError: "ServiceUnavailable: payment did not answer",
  nextAttemptAt: at,
  createdAt: at,
  updatedAt: at,
  failureReason: "reservation_expired"
}

/** A customer's confirmed order, as the order service lists it to the console. */
const customerOrder: Order = {
  orderId: "ord_customer1",
  userId: "user_customer",
  status: OrderStatus.CONFIRMED,
  items: [{ productId: "prod_lamp1", quantity: 1, unitPriceCents: 4999, name: "Desk Lamp" }],
  totalCents: 4999,
  currency: "USD",
  sagaId: "saga_customer1",
  paymentStatus: PaymentStatus.SUCCEEDED,
  paymentId: "pay_customer1",
  trackingNumber: "TRK123456789",
  failureReason: "",
  createdAt: at,
  confirmedAt: at,
  shippingAddress: { street: "1 Main St", city: "Springfield", state: "IL", zip: "62701" },
  idempotencyKey: "key_customer1",
  updatedAt: at,
  paymentMethod: "pm_card_visa",
  email: "customer@example.com",
  phone: ""
}

/** Admin backends on a real gRPC server that count every call, so a refused request is seen never to reach them. */
const startBackends = Effect.gen(function*() {
  const calls: Array<string> = []
  const seen = <A>(name: string, answer: Effect.Effect<A, any>) => Effect.suspend(() => (calls.push(name), answer))
  const order = GrpcService.layer(OrderAdminServiceService, {
    listAllOrders: ({ limit, status }) =>
      seen(
        `listAllOrders ${status}`,
        Effect.succeed({ orders: [customerOrder], total: 3, page: 1, limit, nextCursor: "next1" })
      ),
    listSagas: () => seen("listSagas", Effect.succeed({ sagas: [saga] })),
    retrySaga: ({ orderId }) =>
      seen(
        "retrySaga",
        orderId === saga.orderId
          ? Effect.succeed({ saga: { ...saga, nextAttemptAt: at } })
          : orderId === "ord_ended1"
          ? Effect.fail(new Conflict({ detail: "the saga of ord_ended1 has ended (confirmed)" }))
          : Effect.fail(new NotFound({ entity: "saga", id: orderId }))
      ),
    getOutboxBacklog: () =>
      seen(
        "getOutboxBacklog",
        Effect.succeed({
          service: "order",
          pending: 3,
          oldestAt: at,
          topics: [{ topic: "shop.orders", pending: 3, oldestAt: at }]
        })
      ),
    listBreakers: () =>
      seen(
        "listBreakers",
        Effect.succeed({
          breakers: [
            { service: "order", dependency: "product", state: "closed" },
            { service: "order", dependency: "payment", state: "open" },
            { service: "payment", dependency: "payment-provider", state: "unknown" }
          ]
        })
      ),
    listParkedRefunds: () =>
      seen(
        "listParkedRefunds",
        Effect.succeed({
          refunds: [{
            refundId: "re_parked1",
            paymentId: "pay_parked1",
            orderId: "ord_parked1",
            amountCents: 4250,
            currency: "USD",
            attempts: 8,
            lastError: "ProviderDeclined: Injected refusal: the refund was not made.",
            reason: "order_failed",
            createdAt: at,
            updatedAt: at
          }]
        })
      ),
    retryRefund: ({ refundId }) =>
      seen(
        "retryRefund",
        refundId === "re_parked1"
          ? Effect.succeed({ refundId, status: RefundStatus.SUCCEEDED, attempts: 0, lastError: "" })
          : Effect.fail(new Conflict({ detail: `refund ${refundId} is succeeded, not parked` }))
      )
  })
  const notification = GrpcService.layer(NotificationAdminServiceService, {
    listDeadLetters: () =>
      seen(
        "listDeadLetters",
        Effect.succeed({
          deadLetters: [{
            id: "7",
            eventId: "evt_1",
            type: "notification.sms",
            error: "sms provider: 500",
            attempts: 3,
            notificationId: "ntf_1",
            createdAt: at
          }]
        })
      ),
    redriveDeadLetter: ({ id }) =>
      seen(
        "redriveDeadLetter",
        id === "7"
          ? Effect.succeed({
            deadLetter: {
              id,
              eventId: "evt_1",
              type: "notification.sms",
              error: "e",
              attempts: 3,
              notificationId: "ntf_1",
              createdAt: at
            }
          })
          : Effect.fail(new NotFound({ entity: "dead letter", id }))
      ),
    listConsumerLag: () =>
      seen("listConsumerLag", Effect.succeed({ consumers: [{ group: "notification", transport: "kafka", lag: 12 }] }))
  })
  const server = yield* Layer.build(
    GrpcServer.layer(Layer.mergeAll(order, notification), { host: "127.0.0.1", port: 0, shutdownTimeout: "1 second" })
  )
  const address = `127.0.0.1:${Context.get(server, GrpcServer.GrpcServer).port}`
  const baseUrl = yield* startGateway({ ORDER_GRPC_ADDR: address, NOTIFICATION_GRPC_ADDR: address })
  return { baseUrl, calls }
})

const request = (baseUrl: string, method: string, path: string, token?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
    })
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: await response.json() as any
    }
  })

const endpoints = [
  ["GET", "/api/v1/admin/orders"],
  ["GET", "/api/v1/admin/sagas"],
  ["POST", "/api/v1/admin/sagas/ord_stuck1/retry"],
  ["GET", "/api/v1/admin/refunds"],
  ["POST", "/api/v1/admin/refunds/re_parked1/retry"],
  ["GET", "/api/v1/admin/dead-letters"],
  ["POST", "/api/v1/admin/dead-letters/7/redrive"],
  ["GET", "/api/v1/admin/breakers"],
  ["GET", "/api/v1/admin/consumers"],
  ["GET", "/api/v1/admin/outbox"]
] as const

describe("admin API: the operator console's endpoints", () => {
  it.live("anonymous is 401 and a customer 403 on every admin endpoint, and neither reaches a backend", () =>
    Effect.gen(function*() {
      const { baseUrl, calls } = yield* startBackends
      const customer = yield* Effect.promise(() => sign("user_customer", ["customer"]))
      for (const [method, path] of endpoints) {
        const anonymous = yield* request(baseUrl, method, path)
        assert.strictEqual(anonymous.status, 401, `${method} ${path}`)
        assert.strictEqual(anonymous.type, "application/problem+json")
        const refused = yield* request(baseUrl, method, path, customer)
        assert.strictEqual(refused.status, 403, `${method} ${path}`)
        assert.strictEqual(refused.type, "application/problem+json")
        assert.strictEqual(refused.body.detail, "the admin role is required")
        const forged = yield* request(baseUrl, method, path, `${customer.slice(0, -4)}AAAA`)
        assert.strictEqual(forged.status, 401, `${method} ${path} with a forged signature`)
      }
      assert.deepStrictEqual(calls, [])
    }).pipe(Effect.scoped))

  it.live("an admin reads each view in the contract's shapes and runs each action", () =>
    Effect.gen(function*() {
      const { baseUrl, calls } = yield* startBackends
      const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
      const get = (path: string) => request(baseUrl, "GET", path, admin)
      const post = (path: string) => request(baseUrl, "POST", path, admin)

      // every customer's orders, by status, paged like the caller's own list
      const orders = yield* get("/api/v1/admin/orders?status=confirmed&limit=1")
      assert.strictEqual(orders.status, 200)
      assert.deepStrictEqual(
        [
          orders.body.orders.map((o: any) => [o.order_id, o.user_id, o.status]),
          orders.body.total,
          orders.body.has_more
        ],
        [[["ord_customer1", "user_customer", "confirmed"]], 3, true]
      )

      const sagas = yield* get("/api/v1/admin/sagas")
      assert.strictEqual(sagas.status, 200)
      assert.deepStrictEqual(sagas.body.sagas, [{
        order_id: "ord_stuck1",
        saga_id: "saga_stuck1",
        step: "refund",
        state: "stuck",
        attempts: 14,
        last_error: "ServiceUnavailable: payment did not answer",
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
        failure_reason: "reservation_expired"
      }])
      assert.strictEqual((yield* post("/api/v1/admin/sagas/ord_stuck1/retry")).body.order_id, "ord_stuck1")

      const refunds = yield* get("/api/v1/admin/refunds")
      assert.deepStrictEqual(refunds.body.refunds[0], {
        refund_id: "re_parked1",
        payment_id: "pay_parked1",
        order_id: "ord_parked1",
        amount: 42.5,
        currency: "USD",
        attempts: 8,
        last_error: "ProviderDeclined: Injected refusal: the refund was not made.",
        reason: "order_failed",
        created_at: at,
        parked_at: at
      })
      const retried = yield* post("/api/v1/admin/refunds/re_parked1/retry")
      assert.deepStrictEqual(retried.body, { refund_id: "re_parked1", status: "succeeded", attempts: 0 })

      const letters = yield* get("/api/v1/admin/dead-letters")
      assert.strictEqual(letters.body.dead_letters[0].id, "7")
      assert.strictEqual(letters.body.dead_letters[0].notification_id, "ntf_1")
      assert.strictEqual((yield* post("/api/v1/admin/dead-letters/7/redrive")).status, 200)

      assert.deepStrictEqual((yield* get("/api/v1/admin/breakers")).body.breakers[1], {
        service: "order",
        dependency: "payment",
        state: "open"
      })
      assert.deepStrictEqual((yield* get("/api/v1/admin/consumers")).body, {
        consumers: [{ service: "notification", group: "notification", transport: "kafka", lag: 12 }]
      })
      assert.deepStrictEqual((yield* get("/api/v1/admin/outbox")).body, {
        service: "order",
        pending: 3,
        oldest_at: at,
        topics: [{ topic: "shop.orders", pending: 3, oldest_at: at }]
      })
      assert.deepStrictEqual(calls, [
        `listAllOrders ${OrderStatus.CONFIRMED}`,
        "listSagas",
        "retrySaga",
        "listParkedRefunds",
        "retryRefund",
        "listDeadLetters",
        "redriveDeadLetter",
        "listBreakers",
        "listConsumerLag",
        "getOutboxBacklog"
      ])
    }).pipe(Effect.scoped))

  it.live("an action's refusal is a problem with its text: 404, 409; a malformed id is a 400 naming it", () =>
    Effect.gen(function*() {
      const { baseUrl, calls } = yield* startBackends
      const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
      const post = (path: string) => request(baseUrl, "POST", path, admin)
      const missing = yield* post("/api/v1/admin/sagas/ord_missing1/retry")
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(missing.type, "application/problem+json")
      assert.strictEqual(missing.body.detail, "saga ord_missing1 was not found")
      const ended = yield* post("/api/v1/admin/sagas/ord_ended1/retry")
      assert.strictEqual(ended.status, 409)
      assert.strictEqual(ended.body.detail, "the saga of ord_ended1 has ended (confirmed)")
      const settled = yield* post("/api/v1/admin/refunds/re_done1/retry")
      assert.strictEqual(settled.status, 409)
      assert.strictEqual(settled.body.detail, "refund re_done1 is succeeded, not parked")
      assert.strictEqual((yield* post("/api/v1/admin/dead-letters/8/redrive")).status, 404)
      const before = calls.length
      for (const path of ["/api/v1/admin/sagas/nope/retry", "/api/v1/admin/refunds/pay_1/retry"]) {
        const malformed = yield* post(path)
        assert.strictEqual(malformed.status, 400, path)
        assert.strictEqual(malformed.type, "application/problem+json")
      }
      const notNumber = yield* post("/api/v1/admin/dead-letters/abc/redrive")
      assert.strictEqual(notNumber.status, 400)
      assert.match(JSON.stringify(notNumber.body), /dead letter id/)
      assert.strictEqual(calls.length, before, "malformed ids never reach a backend")
    }).pipe(Effect.scoped))

  it.live("admin endpoints draw from the rate limits: views as reads, actions as admin writes", () =>
    Effect.gen(function*() {
      const baseUrl = yield* startGateway({
        ORDER_GRPC_ADDR: "127.0.0.1:1",
        NOTIFICATION_GRPC_ADDR: "127.0.0.1:1",
        RATE_LIMIT_ORDER_READ: "2/1m",
        RATE_LIMIT_ADMIN_WRITE: "1/1m"
      })
      const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
      const reads = yield* Effect.forEach([1, 2, 3], () => request(baseUrl, "GET", "/api/v1/admin/breakers", admin))
      assert.deepStrictEqual(reads.map((r) => r.status), [503, 503, 429])
      const writes = yield* Effect.forEach(
        [1, 2],
        () => request(baseUrl, "POST", "/api/v1/admin/sagas/ord_stuck1/retry", admin)
      )
      assert.deepStrictEqual(writes.map((r) => r.status), [503, 429])
    }).pipe(Effect.scoped))

  it.live("a backend that is down is a 503 naming the service, never its address", () =>
    Effect.gen(function*() {
      const baseUrl = yield* startGateway({ ORDER_GRPC_ADDR: "127.0.0.1:1", NOTIFICATION_GRPC_ADDR: "127.0.0.1:1" })
      const admin = yield* Effect.promise(() => sign("user_admin", ["admin"]))
      for (const path of ["/api/v1/admin/sagas", "/api/v1/admin/dead-letters"]) {
        const down = yield* request(baseUrl, "GET", path, admin)
        assert.strictEqual(down.status, 503, path)
        assert.notInclude(JSON.stringify(down.body), "127.0.0.1")
      }
    }).pipe(Effect.scoped))

  it.live("the OpenAPI document describes every admin endpoint: a summary, the bearer scheme, 401 and 403", () =>
    Effect.gen(function*() {
      const baseUrl = yield* startGateway({})
      const doc = yield* Effect.promise(() => fetch(`${baseUrl}/openapi.json`).then((r) => r.json() as Promise<any>))
      for (const [method, path] of endpoints) {
        const template = path.replace("ord_stuck1", "{order_id}").replace("re_parked1", "{refund_id}")
          .replace("/7/", "/{id}/")
        const operation = doc.paths[template]?.[method.toLowerCase()]
        assert.isDefined(operation, `${method} ${template}`)
        assert.isString(operation.summary)
        assert.isNotEmpty(operation.security, template)
        assert.includeMembers(Object.keys(operation.responses), ["401", "403"], template)
      }
    }).pipe(Effect.scoped))
})
