import { type DomainError, InternalError } from "@shop/domain"
import {
  CommitReservationRequest,
  type CommitReservationResponse,
  GetProductRequest,
  type GetProductResponse,
  ProductServiceService,
  ReleaseReservationRequest,
  type ReleaseReservationResponse,
  ReserveInventoryRequest,
  type ReserveInventoryResponse
} from "@shop/proto/product/v1/product"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { withPeerBreaker } from "@shop/service-defaults/resilience/PeerBreaker"
import { Context, Duration, Effect, Layer } from "effect"
import { OrderConfig } from "../OrderConfig.ts"

/** A product as the order service needs it: its price and name. */
export interface PricedProduct {
  readonly id: string
  readonly name: string
  readonly priceCents: number
  readonly currency: string
}

/** A held reservation and when it will be released unless committed. */
export interface HeldReservation {
  readonly expiresAt: Date
}

/** The product service, as the saga uses it. Every reservation call is keyed by the order id. */
export class ProductClient extends Context.Service<ProductClient, {
  readonly getProduct: (id: string) => Effect.Effect<PricedProduct, DomainError>
  readonly reserve: (
    orderId: string,
    items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>
  ) => Effect.Effect<HeldReservation, DomainError>
  readonly commit: (orderId: string) => Effect.Effect<void, DomainError>
  readonly release: (orderId: string, reason: string) => Effect.Effect<void, DomainError>
}>()("order/ProductClient") {
  static readonly layer = Layer.effect(
    ProductClient,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const client = yield* GrpcClient.make({
        address: config.productAddress,
        service: "product",
        deadline: config.callTimeout
      }).pipe(Effect.flatMap((peer) =>
        withPeerBreaker(peer, {
          failureThreshold: config.breakerFailureThreshold,
          openDuration: config.breakerCooldown
        })
      ))
      const ttlSeconds = Math.max(1, Math.round(Duration.toSeconds(config.reservationTtl)))
      const getProduct = Effect.fn("ProductClient.getProduct")(function*(id: string) {
        const res: GetProductResponse = yield* client.unary(
          ProductServiceService.getProduct,
          GetProductRequest.fromPartial({ id })
        )
        if (res.product === undefined) return yield* new InternalError({ detail: "product: empty GetProduct reply" })
        const p = res.product
        return { id: p.id, name: p.name, priceCents: p.priceCents, currency: p.currency } satisfies PricedProduct
      })
      const reserve = Effect.fn("ProductClient.reserve")(function*(
        orderId: string,
        items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>
      ) {
        const res: ReserveInventoryResponse = yield* client.unary(
          ProductServiceService.reserveInventory,
          ReserveInventoryRequest.fromPartial({ orderId, items: [...items], ttlSeconds })
        )
        const expiresAt = new Date(res.reservation?.expiresAt ?? "")
        if (Number.isNaN(expiresAt.getTime())) {
          return yield* new InternalError({ detail: "product: reservation without expires_at" })
        }
        return { expiresAt } satisfies HeldReservation
      })
      const commit = Effect.fn("ProductClient.commit")(function*(orderId: string) {
        const _: CommitReservationResponse = yield* client.unary(
          ProductServiceService.commitReservation,
          CommitReservationRequest.fromPartial({ orderId })
        )
      })
      const release = Effect.fn("ProductClient.release")(function*(orderId: string, reason: string) {
        const _: ReleaseReservationResponse = yield* client.unary(
          ProductServiceService.releaseReservation,
          ReleaseReservationRequest.fromPartial({ orderId, reason })
        )
      })
      return ProductClient.of({ getProduct, reserve, commit, release })
    })
  )
}
