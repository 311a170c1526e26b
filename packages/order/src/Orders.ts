import { type DomainError, type IdempotencyKeyReused, NotFound, OrderId, SagaId, ValidationError } from "@shop/domain"
import { Context, Effect, Layer, Metric, Option } from "effect"
import { SqlClient } from "effect/sql"
import { ProductClient } from "./clients/ProductClient.ts"
import { Failpoints } from "./Failpoints.ts"
import { orderCreated } from "./OrderEvents.ts"
import { type CreateOrderInput, fingerprint, replay, validate } from "./OrderInput.ts"
import * as OrderMetrics from "./OrderMetrics.ts"
import { type OrderPage, OrderRepo, type PageRequest } from "./OrderRepo.ts"
import { appendToOutbox, currentTraceparent } from "./Outbox.ts"
import { SagaRunner } from "./SagaRunner.ts"
import type { OrderItem, OrderRecord, SagaState } from "./SagaState.ts"
import { SagaStore } from "./SagaStore.ts"

export interface Created {
  readonly order: OrderRecord
  readonly replayed: boolean
}

/** The order application service: the gRPC handlers call only this. */
export class Orders extends Context.Service<Orders, {
  readonly create: (input: CreateOrderInput) => Effect.Effect<Created, DomainError | IdempotencyKeyReused>
  readonly get: (orderId: string, userId: string) => Effect.Effect<OrderRecord, NotFound>
  readonly list: (userId: string, request: PageRequest) => Effect.Effect<OrderPage>
}>()("order/Orders") {
  static readonly layer = Layer.effect(
    Orders,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const repo = yield* OrderRepo
      const store = yield* SagaStore
      const runner = yield* SagaRunner
      const products = yield* ProductClient
      const failpoints = yield* Failpoints

      const price = Effect.fn("Orders.price")(function*(input: CreateOrderInput) {
        const priced = yield* Effect.forEach(input.items, (item) =>
          products.getProduct(item.productId).pipe(
            Effect.map((product): OrderItem & { readonly currency: string } => ({
              productId: item.productId,
              name: product.name,
              quantity: item.quantity,
              unitPriceCents: product.priceCents,
              currency: product.currency
            })),
            Effect.catchTag("NotFound", () =>
              Effect.fail(
                new ValidationError({ field: "items.product_id", detail: `unknown product ${item.productId}` })
              ))
          ), { concurrency: 8 })
        const currencies = new Set(priced.map((item) => item.currency))
        if (currencies.size !== 1) {
          return yield* new ValidationError({ field: "items", detail: "all products must share one currency" })
        }
        const total = priced.reduce((sum, item) => sum + item.unitPriceCents * item.quantity, 0)
        if (!Number.isSafeInteger(total)) {
          return yield* new ValidationError({ field: "items", detail: "total too large" })
        }
        return { items: priced.map(({ currency: _, ...item }) => item), total, currency: [...currencies][0] ?? "USD" }
      })

      const create = Effect.fn("Orders.create")(function*(raw: CreateOrderInput) {
        const input = yield* validate(raw)
        const digest = fingerprint(input)
        const existing = yield* repo.findByKey(input.userId, input.idempotencyKey).pipe(Effect.orDie)
        if (Option.isSome(existing)) return yield* replay(existing.value, digest)
        const priced = yield* price(input)
        const orderId = yield* OrderId.generate
        const sagaId = yield* SagaId.generate
        yield* Effect.annotateCurrentSpan({ "order.id": orderId, "saga.id": sagaId })
        const traceparent = yield* currentTraceparent
        const draft: OrderRecord = {
          id: orderId,
          userId: input.userId,
          idempotencyKey: input.idempotencyKey,
          fingerprint: digest,
          status: "pending",
          sagaId,
          items: priced.items,
          totalCents: priced.total,
          currency: priced.currency,
          paymentMethod: input.paymentMethod,
          shippingAddress: input.shippingAddress,
          paymentStatus: "pending",
          paymentId: undefined,
          trackingNumber: undefined,
          failureReason: undefined,
          createdAt: "",
          updatedAt: "",
          confirmedAt: undefined
        }
        // The unique (user, key) index decides a race between two identical requests: the loser inserts nothing.
        const inserted = yield* sql.withTransaction(Effect.gen(function*() {
          const stored = yield* repo.insert(draft)
          if (Option.isNone(stored)) return stored
          yield* store.create(orderId, sagaId, traceparent)
          yield* appendToOutbox(yield* orderCreated(draft, traceparent))
          return stored
        })).pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.orDie)
        if (Option.isNone(inserted)) {
          const winner = yield* repo.findByKey(input.userId, input.idempotencyKey).pipe(Effect.orDie)
          if (Option.isNone(winner)) return yield* Effect.die(new Error("order vanished after a key conflict"))
          return yield* replay(winner.value, digest)
        }
        yield* Metric.update(OrderMetrics.ordersCreated, 1)
        yield* failpoints.hit("after_create")
        const state: SagaState = {
          orderId,
          sagaId,
          step: "reserve",
          attempts: 0,
          failure: undefined,
          paymentId: undefined,
          reservationExpiresAt: undefined,
          refunded: false,
          traceparent
        }
        yield* runner.start(state)
        return { order: inserted.value, replayed: false } satisfies Created
      })

      const get = Effect.fn("Orders.get")(function*(orderId: string, userId: string) {
        const found = yield* repo.findById(orderId).pipe(Effect.orDie)
        if (Option.isNone(found) || found.value.userId !== userId) {
          return yield* new NotFound({ entity: "order", id: orderId })
        }
        return found.value
      })

      const list = Effect.fn("Orders.list")(function*(userId: string, request: PageRequest) {
        return yield* repo.list(userId, request).pipe(Effect.orDie)
      })
      return Orders.of({ create, get, list })
    })
  )
}
