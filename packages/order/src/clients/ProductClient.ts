import {
  Currency,
  decodeInput,
  InsufficientStock,
  maxOrdersPerStockCall,
  type NotFound,
  type OrderId,
  Price,
  Product,
  ProductId,
  ProductName,
  Quantity,
  type RequestedLine,
  type Unreachable
} from "@shop/domain"
import {
  type CommitOutcome,
  CommitResult,
  ProductServiceService as Rpc,
  ReservationStatus,
  type ReserveInventoryRequest,
  type ReserveOutcome,
  ReserveResult
} from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { NotImplemented } from "@shop/service-defaults/grpc/PeerDefects"
import { makeKeyedBatches } from "@shop/service-defaults/KeyedBatches"
import { withPeerBreaker } from "@shop/service-defaults/resilience/PeerBreaker"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Data, DateTime, Duration, Effect, Layer, Schema } from "effect"
import { OrderConfig } from "../OrderConfig.ts"

/** The order's reservation is over (released, expired, or never made): it cannot be held or committed any more. */
export class ReservationGone extends Data.TaggedError("ReservationGone")<{ readonly detail: string }> {}

/** The reservation was committed, so its stock cannot be given back: a state the saga never reaches by itself. */
export class ReservationCommitted extends Data.TaggedError("ReservationCommitted")<{ readonly detail: string }> {}

/** A reserved line, with the name, unit price and currency its product had when its stock was held. */
export const ReservedLine = Schema.Struct({
  productId: ProductId,
  name: ProductName,
  quantity: Quantity,
  unitPrice: Price,
  currency: Currency
})
export type ReservedLine = typeof ReservedLine.Type

/** Stock held for an order until `expiresAt` unless committed, with the catalog's data captured when it was held. */
export interface HeldReservation {
  readonly expiresAt: DateTime.Utc
  /** Already committed: the answer to a reserve call made again for an order whose stock was sold. */
  readonly committed: boolean
  readonly lines: ReadonlyArray<ReservedLine>
}

// A reply that does not decode is a bug of the peer: a defect.
const decodeProduct = decodeInput(Product)
const decodeInstant = Schema.decodeUnknownEffect(Schema.DateTimeUtcFromString)
const decodeReservedLines = decodeInput(Schema.Array(ReservedLine))

/**
 * Calls of the product service that carry several orders, each answered on its own (`ReserveInventories`,
 * `CommitReservations`), made through KeyedBatches: no delay of their own, so with few orders each goes alone, at
 * once; the orders that come while two calls run go together in the next. One call per order cost both services a
 * gRPC round trip each. A product service that answers UNIMPLEMENTED (one not upgraded yet, in a rolling
 * deployment) is asked one order at a time by `alone`; an answer that does not name the orders asked, in order, is
 * the peer's bug.
 */
const perOrderBatches = <In, Out extends { readonly orderId: string }>(options: {
  readonly call: string
  readonly orderIdOf: (input: In) => string
  readonly send: (inputs: ReadonlyArray<In>) => Effect.Effect<ReadonlyArray<Out>, Unreachable>
  readonly alone: (input: In) => Effect.Effect<Out, Unreachable>
}) =>
  makeKeyedBatches<In, Out, Unreachable>({
    maxBatch: maxOrdersPerStockCall,
    inFlight: 2,
    conflicts: (a, b) => options.orderIdOf(a) === options.orderIdOf(b),
    run: (inputs) =>
      options.send(inputs).pipe(
        Effect.flatMap((outcomes) =>
          outcomes.length === inputs.length &&
            outcomes.every((outcome, i) => outcome.orderId === options.orderIdOf(inputs[i]!))
            ? Effect.succeed(outcomes)
            : Effect.die(new Error(`${options.call} answered ${outcomes.length} of ${inputs.length} orders`))
        ),
        Effect.catchDefect((defect) =>
          defect instanceof NotImplemented
            ? Effect.forEach(inputs, options.alone, { concurrency: "unbounded" })
            : Effect.die(defect)
        )
      )
  })

/** The product service, as the order service uses it: prices, and the stock of each order keyed by its id. */
export class ProductClient extends Context.Service<ProductClient, {
  /** The product as the catalog has it now; NotFound for an unknown id. */
  readonly getProduct: (id: ProductId) => Effect.Effect<Product, NotFound | Unreachable>
  readonly reserve: (
    orderId: OrderId,
    lines: ReadonlyArray<RequestedLine>
  ) => Effect.Effect<HeldReservation, InsufficientStock | ReservationGone | Unreachable>
  readonly commit: (orderId: OrderId) => Effect.Effect<void, ReservationGone | Unreachable>
  readonly release: (orderId: OrderId, reason: string) => Effect.Effect<void, ReservationCommitted | Unreachable>
}>()("order/ProductClient") {
  static readonly layer = Layer.effect(
    ProductClient,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const peer = yield* GrpcClient.make({
        address: config.productAddress,
        service: "product",
        deadline: config.callTimeout
      }).pipe(Effect.flatMap((client) =>
        withPeerBreaker(client, {
          failureThreshold: config.breakerFailureThreshold,
          openDuration: config.breakerCooldown
        })
      ))
      const ttlSeconds = Math.max(1, Math.round(Duration.toSeconds(config.reservationTtl)))

      const getProduct = traced("ProductClient.getProduct")(function*(id: ProductId) {
        const reply = yield* peer.call(Rpc.getProduct, { id }, "getProduct")
        return yield* Effect.orDie(decodeProduct(reply.product))
      })

      // One call of ReserveInventory, as a ReserveInventories outcome: for a product service that predates the
      // batches (a rolling upgrade that reached this service first).
      const reserveAlone = (request: ReserveInventoryRequest): Effect.Effect<ReserveOutcome, Unreachable> => {
        const none = { orderId: request.orderId, replayed: false, productId: "", requested: 0, available: 0 }
        return peer.call(Rpc.reserveInventory, request, "reserveStock").pipe(
          Effect.map(({ replayed, reservation }): ReserveOutcome => ({
            ...none,
            result: ReserveResult.RESERVED,
            replayed,
            detail: "",
            ...(reservation === undefined ? {} : { reservation })
          })),
          Effect.catchTags({
            Conflict: (error) => Effect.succeed({ ...none, result: ReserveResult.CONFLICT, detail: error.detail }),
            NotFound: (error) =>
              Effect.succeed({ ...none, result: ReserveResult.NOT_FOUND, productId: error.id, detail: error.message }),
            InsufficientStock: (error) =>
              Effect.succeed({
                ...none,
                result: ReserveResult.INSUFFICIENT_STOCK,
                productId: error.productId,
                requested: error.requested,
                available: error.available,
                detail: error.message
              })
          })
        )
      }

      // The reservations of orders placed together go in one call, and the product service makes those of the same
      // products in one statement, as it does for calls that queue.
      const reservations = yield* perOrderBatches({
        call: "ReserveInventories",
        orderIdOf: (request: ReserveInventoryRequest) => request.orderId,
        send: (requests) =>
          peer.call(Rpc.reserveInventories, { reservations: [...requests] }, "reserveStock").pipe(
            Effect.map(({ outcomes }) => outcomes),
            // None of these is an answer to the call as a whole: each order's refusal is in its outcome.
            Effect.catchTags({ Conflict: Effect.die, NotFound: Effect.die, InsufficientStock: Effect.die })
          ),
        alone: reserveAlone
      })

      const reserve = traced("ProductClient.reserve")(function*(
        orderId: OrderId,
        lines: ReadonlyArray<RequestedLine>
      ) {
        const outcome = yield* reservations("reservations", { orderId, items: [...lines], ttlSeconds })
        switch (outcome.result) {
          case ReserveResult.RESERVED:
            break
          // Released, expired, or held with other items: this order's reservation cannot be held again.
          case ReserveResult.CONFLICT:
            return yield* new ReservationGone({ detail: outcome.detail })
          // A product that does not exist (any more) has no stock.
          case ReserveResult.NOT_FOUND: {
            const requested = lines.find((line) => line.productId === outcome.productId)?.quantity ?? 1
            return yield* new InsufficientStock({ productId: outcome.productId, requested, available: 0 })
          }
          case ReserveResult.INSUFFICIENT_STOCK:
            return yield* new InsufficientStock({
              productId: outcome.productId,
              requested: outcome.requested,
              available: outcome.available
            })
          default: // INVALID: a request this service should never have sent, a bug
            return yield* Effect.die(new Error(`ReserveInventories refused order ${orderId}: ${outcome.detail}`))
        }
        const expiresAt = yield* Effect.orDie(decodeInstant(outcome.reservation?.expiresAt))
        const reserved = yield* Effect.orDie(decodeReservedLines((outcome.reservation?.items ?? []).map((item) => ({
          productId: item.productId,
          name: item.name,
          quantity: item.quantity,
          unitPrice: item.unitPriceCents,
          currency: item.currency
        }))))
        const committed = outcome.reservation?.status === ReservationStatus.COMMITTED
        return { expiresAt, committed, lines: reserved } satisfies HeldReservation
      })

      // One call of CommitReservation, as a CommitReservations outcome: for a product service that predates the
      // batches (a rolling upgrade that reached this service first).
      const commitAlone = (orderId: OrderId): Effect.Effect<CommitOutcome, Unreachable> =>
        peer.call(Rpc.commitReservation, { orderId }, "commitStock").pipe(
          Effect.map(({ replayed, reservation }): CommitOutcome => ({
            orderId,
            result: CommitResult.COMMITTED,
            replayed,
            detail: "",
            ...(reservation === undefined ? {} : { reservation })
          })),
          Effect.catchTags({
            Conflict: (error) =>
              Effect.succeed({ orderId, result: CommitResult.ENDED, replayed: false, detail: error.detail }),
            NotFound: () => Effect.succeed({ orderId, result: CommitResult.NOT_FOUND, replayed: false, detail: "" })
          })
        )

      // The commits of sagas that end together go in one call, which the product service makes in one statement: a
      // call per order cost the product's database a statement, a commit and its WAL flush each.
      const commits = yield* perOrderBatches({
        call: "CommitReservations",
        orderIdOf: (orderId: OrderId) => orderId,
        send: (orderIds) =>
          peer.call(Rpc.commitReservations, { orderIds: [...orderIds] }, "commitStock").pipe(
            Effect.map(({ outcomes }) => outcomes),
            // Neither error is an answer to the call as a whole: each order's refusal is in its outcome.
            Effect.catchTags({ Conflict: Effect.die, NotFound: Effect.die })
          ),
        alone: commitAlone
      })

      const commit = traced("ProductClient.commit")(function*(orderId: OrderId) {
        const outcome = yield* commits("commits", orderId)
        switch (outcome.result) {
          case CommitResult.COMMITTED:
            return
          case CommitResult.ENDED:
            return yield* new ReservationGone({ detail: outcome.detail })
          case CommitResult.NOT_FOUND:
            return yield* new ReservationGone({ detail: "no reservation was made for the order" })
          default:
            return yield* Effect.die(new Error(`CommitReservations: no result for order ${orderId}`))
        }
      })

      const release = traced("ProductClient.release")(
        function*(orderId: OrderId, reason: string) {
          yield* peer.call(Rpc.releaseReservation, { orderId, reason }, "releaseStock")
        },
        Effect.catchTag("Conflict", (error) => Effect.fail(new ReservationCommitted({ detail: error.detail })))
      )

      return ProductClient.of({ getProduct, reserve, commit, release })
    })
  )
}
