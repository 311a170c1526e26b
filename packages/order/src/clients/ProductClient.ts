import {
  Currency,
  decodeInput,
  InsufficientStock,
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
import { ProductServiceService as Rpc, ReservationStatus } from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
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

      const reserve = traced("ProductClient.reserve")(function*(
        orderId: OrderId,
        lines: ReadonlyArray<RequestedLine>
      ) {
        const reply = yield* peer.call(Rpc.reserveInventory, { orderId, items: [...lines], ttlSeconds }, "reserveStock")
          .pipe(Effect.catchTags({
            // Released, expired, or held with other items: this order's reservation cannot be held again.
            Conflict: (error) => Effect.fail(new ReservationGone({ detail: error.detail })),
            // A product that does not exist (any more) has no stock.
            NotFound: (error) => {
              const requested = lines.find((line) => line.productId === error.id)?.quantity ?? 1
              return Effect.fail(new InsufficientStock({ productId: error.id, requested, available: 0 }))
            }
          }))
        const expiresAt = yield* Effect.orDie(decodeInstant(reply.reservation?.expiresAt))
        const reserved = yield* Effect.orDie(decodeReservedLines((reply.reservation?.items ?? []).map((item) => ({
          productId: item.productId,
          name: item.name,
          quantity: item.quantity,
          unitPrice: item.unitPriceCents,
          currency: item.currency
        }))))
        const committed = reply.reservation?.status === ReservationStatus.COMMITTED
        return { expiresAt, committed, lines: reserved } satisfies HeldReservation
      })

      const commit = traced("ProductClient.commit")(
        function*(orderId: OrderId) {
          yield* peer.call(Rpc.commitReservation, { orderId }, "commitStock")
        },
        Effect.catchTags({
          Conflict: (error) => Effect.fail(new ReservationGone({ detail: error.detail })),
          NotFound: () => Effect.fail(new ReservationGone({ detail: "no reservation was made for the order" }))
        })
      )

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
