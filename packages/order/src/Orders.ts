import {
  Cents,
  formatDecimal,
  IdempotencyKeyReused,
  MaxChargeCents,
  multiplyCents,
  NotFound,
  type OperationError,
  type Order,
  OrderId,
  OrderLine,
  type OrderStatus,
  type PlaceOrder,
  RequestInProgress,
  SagaId,
  stampEvent,
  sumCents,
  type Unreachable,
  type UserId,
  ValidationError
} from "@shop/domain"
import { currentTraceparent } from "@shop/service-defaults/events/EventTrace"
import { OutboxWakeUp } from "@shop/service-defaults/events/OutboxWakeUp"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { createHash } from "node:crypto"
import { type HeldReservation, ProductClient, type ReservedLine } from "./clients/ProductClient.ts"
import { Failpoints } from "./Failpoints.ts"
import { oneStatement } from "./OneStatement.ts"
import * as OrderMetrics from "./OrderMetrics.ts"
import { type OrderPage, OrderRepo, type PageRequest, type StoredOrder } from "./OrderRepo.ts"
import * as OrderTransitions from "./OrderTransitions.ts"
import { outboxInsert } from "./Outbox.ts"
import { RequestClaims } from "./RequestClaims.ts"
import { SagaRunner } from "./saga/SagaRunner.ts"
import { SagaState } from "./saga/SagaState.ts"
import { SagaStore } from "./saga/SagaStore.ts"

/** The first order of a key, and whether this request was a repeat of it. */
export interface Placed {
  readonly order: Order
  readonly replayed: boolean
}

/** A digest of everything the request asks for, so a replayed key can be told from a reused one. */
export const fingerprint = (request: PlaceOrder): string => {
  const items = request.items.toSorted((a, b) => a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)
    .map((item) => [item.productId, item.quantity])
  const { city, state, street, zip } = request.shippingAddress
  return createHash("sha256")
    .update(JSON.stringify([items, [street, city, state, zip], request.paymentMethod, request.contact ?? null]))
    .digest("base64url")
}

/** The first order of a key again, or IdempotencyKeyReused when the key came with another request. */
const replay = (stored: StoredOrder, digest: string) =>
  stored.fingerprint === digest
    ? Effect.succeed<Placed>({ order: stored.order, replayed: true })
    : Effect.fail(new IdempotencyKeyReused({ key: stored.order.idempotencyKey }))

const maxCharge = formatDecimal(Cents.make(MaxChargeCents))

/** The order application service: the gRPC handlers call only this. */
export class Orders extends Context.Service<Orders, {
  readonly place: (request: PlaceOrder) => Effect.Effect<Placed, OperationError<"placeOrder"> | Unreachable>
  readonly get: (orderId: OrderId, userId: UserId) => Effect.Effect<Order, OperationError<"getOrder"> | Unreachable>
  readonly list: (
    userId: UserId,
    request: PageRequest,
    status?: OrderStatus | undefined
  ) => Effect.Effect<OrderPage, Unreachable>
}>()("order/Orders") {
  static readonly layer = Layer.effect(
    Orders,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* OrderRepo
      const sagas = yield* SagaStore
      const runner = yield* SagaRunner
      const products = yield* ProductClient
      const failpoints = yield* Failpoints
      const claims = yield* RequestClaims
      const outboxWakeUp = yield* OutboxWakeUp

      /** The lines' total, checked: one currency for the order, and no more than one payment can charge. */
      const total = traced("Orders.total")(function*(lines: ReadonlyArray<ReservedLine>) {
        const currencies = new Set(lines.map((line) => line.currency))
        const [currency] = currencies
        if (currencies.size !== 1 || currency === undefined) {
          return yield* new ValidationError({ field: "items", detail: "all products must share one currency" })
        }
        const totals = yield* Effect.forEach(lines, (line) => multiplyCents(line.unitPrice, line.quantity, "items"))
        const totalCents = yield* sumCents(totals, "items")
        if (totalCents > MaxChargeCents) {
          return yield* new ValidationError({
            field: "items",
            detail: `the order total ${
              formatDecimal(totalCents)
            } is above ${maxCharge}, the most one payment can charge`
          })
        }
        const orderLines = lines.map(({ name, productId, quantity, unitPrice }) =>
          new OrderLine({ productId, name, quantity, unitPrice })
        )
        return { lines: orderLines, totalCents, currency } satisfies OrderTransitions.PricedLines
      })

      // Prices come from the catalog, never from the client.
      const priceFromCatalog = traced("Orders.priceFromCatalog")(function*(request: PlaceOrder) {
        const lines = yield* Effect.forEach(request.items, (item) =>
          products.getProduct(item.productId).pipe(
            Effect.map((product): ReservedLine => ({
              productId: product.id,
              name: product.name,
              quantity: item.quantity,
              unitPrice: product.priceCents,
              currency: product.currency
            })),
            Effect.catchTag("NotFound", () =>
              Effect.fail(
                new ValidationError({ field: "items.product_id", detail: `unknown product ${item.productId}` })
              ))
          ), { concurrency: 8 })
        return yield* total(lines)
      })

      // The reservation captured the catalog's name and price of each line when it held the stock: the order is
      // priced by what was reserved, with no call of its own. Its lines are the request's, in the request's order.
      const priceFromReservation = (request: PlaceOrder, held: HeldReservation) => {
        const reserved = new Map(held.lines.map((line) => [line.productId, line]))
        const lines: Array<ReservedLine> = []
        for (const item of request.items) {
          const line = reserved.get(item.productId)
          if (line?.quantity !== item.quantity) break
          lines.push(line)
        }
        return lines.length === request.items.length && held.lines.length === lines.length
          ? total(lines)
          : Effect.die(new Error("the product service reserved other lines than the order's"))
      }

      /**
       * Reserves the order's stock while placing it, as the first step of its checkout: the reservation also prices
       * the lines. Whatever keeps it from being held now (not enough stock, an unknown product, the product service
       * slow or away) leaves the step to the saga, which decides as it always has; the lines are then priced by the
       * catalog, which also tells an unknown product apart (a 400, not a failed order).
       */
      const reserveWhilePlacing = (orderId: OrderId, request: PlaceOrder) =>
        products.reserve(orderId, request.items).pipe(
          Effect.map(Option.some),
          Effect.catch((error) =>
            Effect.as(Effect.logDebug("stock not held while placing; the saga will reserve it", error), Option.none())
          )
        )

      // Gives back what a request that stored no order may have reserved: idempotent, and a reservation never made
      // is marked released, so that a late reserve of this order id cannot hold stock either. Not given back (the
      // product service away), it is released when it expires.
      const releaseUnplaced = (orderId: OrderId) =>
        products.release(orderId, "order_not_placed").pipe(
          Effect.catchCause((cause) => Effect.logWarning("could not release an unplaced order's reservation", cause))
        )

      /**
       * Places the order of a request that holds the claim of its key: prices it (from the reservation made while
       * claiming, else from the catalog), then stores the order and its lines, its saga and its event and gives the
       * claim up, in one statement (one round trip, all or nothing).
       */
      const placeClaimed = (
        request: PlaceOrder,
        digest: string,
        token: string,
        ids: { readonly orderId: OrderId; readonly sagaId: SagaId },
        held: Option.Option<HeldReservation>
      ) =>
        Effect.gen(function*() {
          yield* Effect.annotateCurrentSpan({ "order.id": ids.orderId, "saga.id": ids.sagaId })
          // Until the placement statement is sent no order of this id can exist, so what was reserved is ours to give
          // back; once sent, the order may be stored even if the answer is lost, and the saga owns the reservation.
          const priced = yield* Effect.gen(function*() {
            if (Option.isNone(held)) return yield* priceFromCatalog(request)
            yield* failpoints.hit("after_reserve")
            return yield* priceFromReservation(request, held.value)
          }).pipe(Effect.onError(() => releaseUnplaced(ids.orderId)))
          const traceparent = yield* currentTraceparent
          const placed = OrderTransitions.place(request, priced, ids, yield* stampEvent(traceparent))
          const saga = new SagaState({
            orderId: ids.orderId,
            sagaId: ids.sagaId,
            step: Option.isSome(held) ? "charge" : "reserve",
            attempts: 0,
            refunded: false,
            ...(Option.isSome(held) ? { reservationExpiresAt: held.value.expiresAt } : {}),
            ...(traceparent === undefined ? {} : { traceparent })
          })
          // The unique (user, key) index still guards the order itself: should a claim have been taken over from a
          // request that was only slow, not dead, the later one's statement fails whole and it replays the first.
          const placement = oneStatement(sql, [
            ...repo.insertStatements(placed.order, digest),
            sagas.insertStatement(saga),
            yield* outboxInsert(placed.event).pipe(Effect.provideService(SqlClient.SqlClient, sql)),
            claims.releaseStatement(request.userId, request.idempotencyKey, token)
          ])
          const inserted = yield* placement.pipe(
            Effect.as(true),
            Effect.catchReason("SqlError", "UniqueViolation", () => Effect.succeed(false)),
            Effect.catchTag("SqlError", Effect.die)
          )
          if (!inserted) {
            yield* releaseUnplaced(ids.orderId)
            yield* claims.release(request.userId, request.idempotencyKey, token)
            const winner = yield* repo.findByKey(request.userId, request.idempotencyKey)
            if (Option.isNone(winner)) return yield* Effect.die(new Error("order vanished after a key conflict"))
            return yield* replay(winner.value, digest)
          }
          yield* outboxWakeUp.signal
          yield* Metric.update(OrderMetrics.ordersCreated, 1)
          yield* failpoints.hit("after_create")
          // Right after a reservation made here, the charge step need not ask for it again.
          yield* runner.start(saga, placed.order, Option.isSome(held) ? "reserve" : undefined)
          return { order: placed.order, replayed: false } satisfies Placed
        }).pipe(
          // A request that fails (or is cut off) before its order is stored gives its key up for the next attempt.
          Effect.onError(() =>
            claims.release(request.userId, request.idempotencyKey, token).pipe(
              // not released: the claim lapses on its own after its lease, and the key is free again then
              Effect.catchCause((cause) => Effect.logWarning("could not release an idempotency key's claim", cause))
            )
          )
        )

      /**
       * Idempotent by (user, key): the key's order again when it exists (IdempotencyKeyReused for another request),
       * RequestInProgress while another request with the key is still placing its order, on any replica.
       *
       * The key's claim and the order's reservation run at once, each a round trip to another process: a new order
       * waits for the longer of the two instead of both. A request that does not win the claim (a replay, or a
       * duplicate in flight) gives back what it reserved before it answers, so its order id, which no order will
       * ever carry, holds stock only for that moment.
       */
      const place = traced("Orders.place")(function*(request: PlaceOrder) {
        const digest = fingerprint(request)
        const ids = { orderId: yield* OrderId.generate, sagaId: yield* SagaId.generate }
        const [claim, held] = yield* Effect.all([
          claims.claim(request.userId, request.idempotencyKey, digest),
          reserveWhilePlacing(ids.orderId, request)
        ], { concurrency: 2 }).pipe(Effect.onError(() => releaseUnplaced(ids.orderId)))
        if (claim._tag === "Claimed") return yield* placeClaimed(request, digest, claim.token, ids, held)
        // Released whether or not the reservation answered: one that timed out may still have been made.
        yield* releaseUnplaced(ids.orderId)
        // Placed, or Held by a request that may have stored its order since.
        const stored = yield* repo.findByKey(request.userId, request.idempotencyKey)
        if (Option.isSome(stored)) return yield* replay(stored.value, digest)
        if (claim._tag === "Held" && claim.fingerprint !== "" && claim.fingerprint !== digest) {
          return yield* new IdempotencyKeyReused({ key: request.idempotencyKey })
        }
        return yield* new RequestInProgress({ key: request.idempotencyKey })
      })

      const get = traced("Orders.get")(function*(orderId: OrderId, userId: UserId) {
        const found = yield* repo.findById(orderId)
        // Another user's order is not found: its existence is not theirs to know.
        if (Option.isNone(found) || found.value.userId !== userId) {
          return yield* new NotFound({ entity: "order", id: orderId })
        }
        return found.value
      })

      const list = traced("Orders.list")(
        function*(userId: UserId, request: PageRequest, status?: OrderStatus | undefined) {
          return yield* repo.list(userId, request, status)
        }
      )
      return Orders.of({ place, get, list })
    })
  )
}
