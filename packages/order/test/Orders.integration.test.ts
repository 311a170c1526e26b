import { assert, layer } from "@effect/vitest"
import { type CreateOrderRequest, OrderServiceService, OrderStatus } from "@shop/proto/order/v1/order"
import { PaymentStatus } from "@shop/proto/payment/v1/payment"
import { Effect, Result } from "effect"
import { decodeCreateRequest } from "../src/grpc/OrderCodec.ts"
import { fingerprint } from "../src/Orders.ts"
import { claimLeaseSeconds } from "../src/RequestClaims.ts"
import { awaitTerminal, Harness } from "./fixtures/Harness.ts"

const address = { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" }
let counter = 0
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${++counter}`

const request = (overrides: Partial<CreateOrderRequest> & Pick<CreateOrderRequest, "items">): CreateOrderRequest => ({
  userId: unique("user_"),
  shippingAddress: address,
  paymentMethod: "pm_card_visa",
  idempotencyKey: unique("key_"),
  email: "",
  phone: "",
  ...overrides
})

const create = (req: CreateOrderRequest) => Harness.use((h) => h.client.unary(OrderServiceService.createOrder, req))

const outboxTypes = (orderId: string) =>
  Harness.use((h) =>
    h.sql<{ readonly type: string; readonly headers: unknown }>`
      SELECT type, headers FROM outbox WHERE aggregate_id = ${orderId} ORDER BY seq`.pipe(Effect.orDie)
  )

layer(Harness.layer("orders"), { timeout: 120_000, excludeTestServices: true })("order saga over gRPC", (it) => {
  it.effect("confirms an order priced by the product service, with its events in the outbox, each waking the relay", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const signalsBefore = yield* h.outboxSignals
      const a = unique("prod_a")
      const b = unique("prod_b")
      h.product.add(a, 2999, 10)
      h.product.add(b, 2999, 5)
      const res = yield* create(request({ items: [{ productId: a, quantity: 2 }, { productId: b, quantity: 1 }] }))
      const order = res.order!
      assert.strictEqual(order.status, "ORDER_STATUS_PENDING")
      assert.strictEqual(order.totalCents, 8997)
      assert.isTrue(order.sagaId.startsWith("saga_"))
      assert.isFalse(res.replayed)
      const done = yield* awaitTerminal(h.client, order.orderId, order.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
      assert.match(done.trackingNumber, /^TRK\d+$/)
      assert.strictEqual(done.paymentStatus, PaymentStatus.SUCCEEDED)
      assert.notStrictEqual(done.confirmedAt, "")
      assert.strictEqual(h.payment.charged(order.orderId), 8997)
      assert.strictEqual(h.product.products.get(a)?.inventory, 8)
      assert.strictEqual(h.product.available(b), 4)
      const events = yield* outboxTypes(order.orderId)
      assert.deepStrictEqual(events.map((e) => e.type), ["order.created", "order.confirmed"])
      assert.strictEqual((yield* h.outboxSignals) - signalsBefore, 2, "the placement and the confirmation signal")
      for (const event of events) {
        const headers = (typeof event.headers === "string" ? JSON.parse(event.headers) : event.headers) as {
          readonly traceparent?: string
        }
        assert.match(headers.traceparent ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/)
      }
    }))

  it.effect("the reservation made while placing prices the order: no catalog lookup, no second reserve", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_r")
      h.product.add(a, 1999, 4)
      const lookups = h.product.productLookups
      const reserves = h.product.reserveCalls
      const res = yield* create(request({ items: [{ productId: a, quantity: 3 }] }))
      assert.strictEqual(res.order!.totalCents, 5997)
      assert.strictEqual(res.order!.items[0]!.name, `Product ${a}`)
      const done = yield* awaitTerminal(h.client, res.order!.orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
      assert.strictEqual(h.payment.charged(done.orderId), 5997)
      assert.strictEqual(h.product.productLookups - lookups, 0)
      assert.strictEqual(h.product.reserveCalls - reserves, 1)
      assert.strictEqual(h.product.products.get(a)?.inventory, 1)
    }))

  it.effect("a reservation that fails while placing leaves it to the saga; the catalog prices the order", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_f")
      h.product.add(a, 750, 2)
      const lookups = h.product.productLookups
      h.product.failReserves = 1
      const res = yield* create(request({ items: [{ productId: a, quantity: 2 }] }))
      assert.strictEqual(res.order!.totalCents, 1500)
      assert.strictEqual(h.product.productLookups - lookups, 1)
      const done = yield* awaitTerminal(h.client, res.order!.orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
      assert.strictEqual(h.payment.charged(done.orderId), 1500)
      assert.strictEqual(h.product.products.get(a)?.inventory, 0)
    }))

  it.effect("a total above what one payment can charge is refused after reserving, and the stock goes back", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_x")
      h.product.add(a, 60_000_000, 3)
      const refused = yield* create(request({ items: [{ productId: a, quantity: 2 }] })).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "ValidationError")
      assert.strictEqual(refused._tag === "ValidationError" && refused.field, "items")
      assert.strictEqual(h.product.available(a), 3)
      const held = [...h.product.reservations].filter(([, r]) => r.items.some((i) => i.productId === a))
      assert.deepStrictEqual(held.map(([, r]) => r.status), ["released"])
      assert.strictEqual(h.payment.payments().filter((p) => p.orderId === held[0]![0]).length, 0)
    }))

  it.effect("the customer's contact travels with the order into its events; a phone without an email is refused", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_m")
      h.product.add(a, 1200, 5)
      const contact = { email: "jane@example.com", phone: "+14155550123" }
      const res = yield* create(request({ items: [{ productId: a, quantity: 1 }], ...contact }))
      assert.strictEqual(res.order?.email, contact.email)
      const done = yield* awaitTerminal(h.client, res.order!.orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
      assert.strictEqual(done.phone, contact.phone)
      const [confirmed] = yield* h.sql<{ readonly payload: unknown }>`
        SELECT payload FROM outbox WHERE aggregate_id = ${done.orderId} AND type = 'order.confirmed'`.pipe(Effect.orDie)
      const payload = (typeof confirmed?.payload === "string" ? JSON.parse(confirmed.payload) : confirmed?.payload) as {
        readonly contact?: unknown
      }
      assert.deepStrictEqual(payload.contact, contact)
      const phoneOnly = yield* create(request({ items: [{ productId: a, quantity: 1 }], phone: contact.phone }))
        .pipe(Effect.flip)
      assert.strictEqual(phoneOnly._tag, "ValidationError")
      assert.strictEqual(phoneOnly._tag === "ValidationError" && phoneOnly.field, "email")
    }))

  it.effect("a declined payment releases the stock exactly and fails the order", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_d")
      h.product.add(a, 1000, 3)
      const res = yield* create(
        request({ items: [{ productId: a, quantity: 2 }], paymentMethod: "pm_card_chargeDeclined" })
      )
      const done = yield* awaitTerminal(h.client, res.order!.orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_FAILED")
      assert.strictEqual(done.failureReason, "payment_declined: card_declined")
      assert.strictEqual(h.product.available(a), 3)
      assert.strictEqual(h.product.products.get(a)?.inventory, 3)
      assert.strictEqual(h.payment.charged(done.orderId), 0)
      const events = yield* outboxTypes(done.orderId)
      assert.deepStrictEqual(events.map((e) => e.type), ["order.created", "order.failed"])
    }))

  it.effect("not enough stock fails the order with the product named", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_s")
      h.product.add(a, 500, 1)
      const res = yield* create(request({ items: [{ productId: a, quantity: 2 }] }))
      const done = yield* awaitTerminal(h.client, res.order!.orderId, res.order!.userId)
      assert.strictEqual(done.failureReason, `insufficient_stock: ${a}`)
      assert.strictEqual(h.payment.charged(done.orderId), 0)
      assert.strictEqual(h.product.available(a), 1)
    }))

  it.effect("the same key twice at once makes one order and one saga; another body is IdempotencyKeyReused", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_i")
      h.product.add(a, 700, 10)
      const req = request({ items: [{ productId: a, quantity: 1 }] })
      // While the first is placing its order the second finds the key claimed (RequestInProgress), or, once the
      // order is stored, replays it: never a second order.
      const results = yield* Effect.all([Effect.result(create(req)), Effect.result(create(req))], { concurrency: 2 })
      const created = results.flatMap((result) => Result.isSuccess(result) ? [result.success] : [])
      const refused = results.flatMap((result) => Result.isFailure(result) ? [result.failure._tag] : [])
      assert.isAtLeast(created.length, 1)
      assert.strictEqual(new Set(created.map((answer) => answer.order!.orderId)).size, 1)
      assert.deepStrictEqual(refused, refused.map(() => "RequestInProgress"))
      const again = yield* create(req)
      assert.isTrue(again.replayed)
      assert.strictEqual(again.order!.orderId, created[0]!.order!.orderId)
      yield* awaitTerminal(h.client, again.order!.orderId, req.userId)
      const sagas = yield* h.sql<{ readonly n: number }>`
        SELECT count(*)::int AS n FROM sagas s JOIN orders o ON o.id = s.order_id
        WHERE o.user_id = ${req.userId}`.pipe(Effect.orDie)
      assert.strictEqual(sagas[0]?.n, 1)
      assert.strictEqual(h.payment.captures(again.order!.orderId), 1)
      assert.strictEqual(h.product.products.get(a)?.inventory, 9)
      // The duplicates reserved while they claimed, under order ids no order carries: all of it was given back.
      assert.strictEqual(h.product.available(a), 9)
      const reused = yield* create({ ...req, items: [{ productId: a, quantity: 2 }] }).pipe(Effect.flip)
      assert.strictEqual(reused._tag, "IdempotencyKeyReused")
      assert.strictEqual(h.product.available(a), 9)
      const releasedUnplaced = [...h.product.reservations.values()].filter((r) => r.status === "released")
      assert.isAtLeast(releasedUnplaced.length, 2, "the replay and the reused key each gave back what they reserved")
      const claims = yield* h.sql<{ readonly n: number }>`
        SELECT count(*)::int AS n FROM order_requests WHERE user_id = ${req.userId}`.pipe(Effect.orDie)
      assert.strictEqual(claims[0]?.n, 0, "a stored order leaves no claim behind")
    }))

  it.effect("a key claimed by a request in flight elsewhere: 409 for the same body, 422 for another", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_c")
      h.product.add(a, 700, 10)
      const req = request({ items: [{ productId: a, quantity: 1 }] })
      // Another replica's request, still pricing: its claim row, as it writes it
      const inFlight = (digest: string, claimedAt: string) =>
        h.sql`INSERT INTO order_requests (user_id, idempotency_key, request_fingerprint, claimed_by, claimed_at)
          VALUES (${req.userId}, ${req.idempotencyKey}, ${digest}, 'other-replica', ${claimedAt}::timestamptz)
          ON CONFLICT (user_id, idempotency_key) DO UPDATE SET request_fingerprint = EXCLUDED.request_fingerprint,
            claimed_by = EXCLUDED.claimed_by, claimed_at = EXCLUDED.claimed_at`.pipe(Effect.orDie)
      const sameBody = fingerprint(yield* decodeCreateRequest(req).pipe(Effect.orDie))
      yield* inFlight(sameBody, new Date().toISOString())
      const busy = yield* create(req).pipe(Effect.flip)
      assert.strictEqual(busy._tag, "RequestInProgress")
      const other = yield* create({ ...req, items: [{ productId: a, quantity: 3 }] }).pipe(Effect.flip)
      assert.strictEqual(other._tag, "IdempotencyKeyReused")
      assert.strictEqual(h.product.available(a), 10, "the refused requests hold no stock")
      // A claim past its lease was left by a process that died: the next request takes it over and places the order
      yield* inFlight(sameBody, new Date(Date.now() - (claimLeaseSeconds + 5) * 1000).toISOString())
      const placed = yield* create(req)
      assert.isFalse(placed.replayed)
      const orders = yield* h.sql<{ readonly n: number }>`
        SELECT count(*)::int AS n FROM orders WHERE user_id = ${req.userId}`.pipe(Effect.orDie)
      assert.strictEqual(orders[0]?.n, 1)
    }))

  it.effect("a request that fails before its order is stored gives its key up", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_f")
      const req = request({ items: [{ productId: a, quantity: 1 }] })
      const unknown = yield* create(req).pipe(Effect.flip)
      assert.strictEqual(unknown._tag, "ValidationError")
      h.product.add(a, 700, 10)
      const placed = yield* create(req)
      assert.isFalse(placed.replayed, "the key was released, not held by the failed attempt")
    }))

  it.effect("100 orders for 10 units: 10 confirmed, 90 failed for stock, none oversold", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_c")
      h.product.add(a, 100, 10)
      const created = yield* Effect.forEach(
        Array.from({ length: 100 }, () => request({ items: [{ productId: a, quantity: 1 }] })),
        create,
        { concurrency: 20 }
      )
      const done = yield* Effect.forEach(
        created,
        (res) => awaitTerminal(h.client, res.order!.orderId, res.order!.userId),
        { concurrency: 10 }
      )
      const confirmed = done.filter((o) => o.status === "ORDER_STATUS_CONFIRMED")
      const failed = done.filter((o) => o.status === "ORDER_STATUS_FAILED")
      assert.strictEqual(confirmed.length, 10)
      assert.strictEqual(failed.length, 90)
      assert.isTrue(failed.every((o) => o.failureReason === `insufficient_stock: ${a}`))
      assert.strictEqual(h.product.products.get(a)?.inventory, 0)
      assert.strictEqual(h.product.products.get(a)?.reserved, 0)
      assert.strictEqual(done.reduce((sum, o) => sum + h.payment.charged(o.orderId), 0), 10 * 100)
    }), { timeout: 180_000 })

  it.effect("a payment left pending_unknown is waited for, not guessed", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_u")
      h.product.add(a, 1500, 2)
      const res = yield* create(request({ items: [{ productId: a, quantity: 1 }], paymentMethod: "pm_card_unknown" }))
      const orderId = res.order!.orderId
      // Several polls pass while the outcome is unknown: the order must stay pending.
      yield* Effect.sleep("1500 millis")
      const waiting = yield* h.client.unary(OrderServiceService.getOrder, { orderId, userId: res.order!.userId })
      assert.strictEqual(waiting.order?.status, "ORDER_STATUS_PENDING")
      h.payment.settle(orderId, PaymentStatus.SUCCEEDED)
      const done = yield* awaitTerminal(h.client, orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_CONFIRMED")
      assert.strictEqual(h.payment.charged(orderId), 1500)
    }))

  it.effect("a reservation that expires before the commit refunds the charge and fails the order", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_x")
      h.product.add(a, 2500, 2)
      const res = yield* create(request({ items: [{ productId: a, quantity: 1 }], paymentMethod: "pm_card_unknown" }))
      const orderId = res.order!.orderId
      yield* Effect.sleep("500 millis")
      h.product.expire(orderId)
      h.payment.settle(orderId, PaymentStatus.SUCCEEDED)
      const done = yield* awaitTerminal(h.client, orderId, res.order!.userId)
      assert.strictEqual(done.status, "ORDER_STATUS_FAILED")
      assert.strictEqual(done.failureReason, "reservation_expired")
      assert.strictEqual(done.paymentStatus, PaymentStatus.REFUNDED)
      assert.strictEqual(h.payment.charged(orderId), 0)
      assert.strictEqual(h.product.available(a), 2)
    }))

  it.effect("GetOrder hides other users' orders; ListOrders pages by number and by cursor", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_l")
      h.product.add(a, 100, 100)
      const userId = unique("user_")
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        ids.push((yield* create(request({ userId, items: [{ productId: a, quantity: 1 }] }))).order!.orderId)
      }
      const hidden = yield* h.client.unary(OrderServiceService.getOrder, { orderId: ids[0]!, userId: "user_other" })
        .pipe(Effect.flip)
      assert.strictEqual(hidden._tag, "NotFound")
      const page1 = yield* h.client.unary(OrderServiceService.listOrders, {
        userId,
        page: 1,
        limit: 2,
        cursor: "",
        status: OrderStatus.UNSPECIFIED
      })
      assert.strictEqual(page1.total, 5)
      assert.deepStrictEqual(page1.orders.map((o) => o.orderId), [ids[4], ids[3]])
      const page2 = yield* h.client.unary(OrderServiceService.listOrders, {
        userId,
        page: 0,
        limit: 2,
        cursor: page1.nextCursor,
        status: OrderStatus.UNSPECIFIED
      })
      assert.deepStrictEqual(page2.orders.map((o) => o.orderId), [ids[2], ids[1]])
      const page3 = yield* h.client.unary(OrderServiceService.listOrders, {
        userId,
        page: 0,
        limit: 2,
        cursor: page2.nextCursor,
        status: OrderStatus.UNSPECIFIED
      })
      assert.deepStrictEqual(page3.orders.map((o) => o.orderId), [ids[0]])
      assert.strictEqual(page3.nextCursor, "")
    }))

  it.effect("ListOrders by status filters in the query: full pages, the matching total, a cursor within the filter", () =>
    Effect.gen(function*() {
      const h = yield* Harness
      const a = unique("prod_q")
      h.product.add(a, 100, 100)
      const userId = unique("user_")
      const methods = [
        "pm_card_visa",
        "pm_card_chargeDeclined",
        "pm_card_visa",
        "pm_card_chargeDeclined",
        "pm_card_visa"
      ]
      const ids: Array<string> = []
      for (const paymentMethod of [...methods, "pm_card_chargeDeclined", "pm_card_visa"]) {
        const placed = yield* create(request({ userId, paymentMethod, items: [{ productId: a, quantity: 1 }] }))
        yield* awaitTerminal(h.client, placed.order!.orderId, userId)
        ids.push(placed.order!.orderId)
      }
      // confirmed, newest first: ids 6, 4, 2, 0
      const list = (page: number, cursor: string, status: OrderStatus) =>
        h.client.unary(OrderServiceService.listOrders, { userId, page, limit: 2, cursor, status })
      const first = yield* list(1, "", OrderStatus.CONFIRMED)
      assert.strictEqual(first.total, 4)
      assert.deepStrictEqual(first.orders.map((o) => o.orderId), [ids[6], ids[4]])
      assert.isTrue(first.orders.every((o) => o.status === OrderStatus.CONFIRMED))
      const second = yield* list(0, first.nextCursor, OrderStatus.CONFIRMED)
      assert.deepStrictEqual(second.orders.map((o) => o.orderId), [ids[2], ids[0]])
      assert.strictEqual(second.nextCursor, "")
      const byPage = yield* list(2, "", OrderStatus.CONFIRMED)
      assert.deepStrictEqual(byPage.orders.map((o) => o.orderId), [ids[2], ids[0]])
      const failed = yield* list(1, "", OrderStatus.FAILED)
      assert.strictEqual(failed.total, 3)
      assert.deepStrictEqual(failed.orders.map((o) => o.orderId), [ids[5], ids[3]])
      const all = yield* list(1, "", OrderStatus.UNSPECIFIED)
      assert.strictEqual(all.total, 7)
      const shipped = yield* list(1, "", OrderStatus.SHIPPED).pipe(Effect.flip)
      assert.strictEqual(shipped._tag, "ValidationError")
    }))
})
