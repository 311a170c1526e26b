import type { Conflict, InsufficientStock, NotFound, ValidationError } from "@shop/domain"
import type { Product } from "@shop/domain/Product"
import * as proto from "@shop/proto/product/v1/product"
import { DateTime, Option, Result } from "effect"
import type { InventoryLevel, Outcome } from "../Inventory.ts"
import type { ProductSort } from "../ProductSort.ts"
import type { Reservation, ReservationStatus, StockItem } from "../Reservation.ts"

/** Proto <-> domain for shop.product.v1. Zero values of proto3 mean "not set". */

export const encodeProduct = (product: Product): proto.Product => ({
  id: product.id,
  name: product.name,
  description: product.description,
  priceCents: product.priceCents,
  currency: product.currency,
  sku: product.sku,
  category: product.category,
  inventory: product.inventory,
  reserved: product.reserved,
  available: product.inventory - product.reserved,
  createdAt: DateTime.formatIso(product.createdAt),
  updatedAt: DateTime.formatIso(product.updatedAt)
})

const sorts: Record<proto.ProductSort, ProductSort | undefined> = {
  [proto.ProductSort.UNSPECIFIED]: undefined,
  [proto.ProductSort.UNRECOGNIZED]: undefined,
  [proto.ProductSort.CREATED_AT_DESC]: "created_at_desc",
  [proto.ProductSort.NAME_ASC]: "name_asc",
  [proto.ProductSort.PRICE_ASC]: "price_asc",
  [proto.ProductSort.PRICE_DESC]: "price_desc"
}

export const decodeSort = (sort: proto.ProductSort): ProductSort | undefined => sorts[sort]

/** `{ key: value }` when the proto field is set, `{}` otherwise (exactOptionalPropertyTypes forbids `undefined`). */
export const ifSet = <K extends string, A>(key: K, value: A | undefined | null, isSet = value !== undefined) =>
  (isSet && value !== null && value !== undefined ? { [key]: value } : {}) as { [P in K]?: A }

export const decodeItems = (items: ReadonlyArray<proto.InventoryItem>): ReadonlyArray<StockItem> =>
  items.map((item) => ({ productId: item.productId, quantity: item.quantity }))

const statuses: Record<ReservationStatus, proto.ReservationStatus> = {
  pending: proto.ReservationStatus.PENDING,
  committed: proto.ReservationStatus.COMMITTED,
  released: proto.ReservationStatus.RELEASED,
  expired: proto.ReservationStatus.EXPIRED
}

export const encodeReservation = (reservation: Reservation): proto.Reservation => ({
  orderId: reservation.orderId,
  status: statuses[reservation.status],
  items: reservation.items.map((item) => ({
    productId: item.productId,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents,
    currency: item.currency,
    name: item.name
  })),
  createdAt: DateTime.formatIso(reservation.createdAt),
  expiresAt: DateTime.formatIso(reservation.expiresAt),
  resolvedAt: Option.match(reservation.resolvedAt, { onNone: () => "", onSome: DateTime.formatIso })
})

/** One order's answer within CommitReservations: what CommitReservation would have answered it. */
export const encodeCommitOutcome = (
  orderId: string,
  result: Result.Result<Outcome, NotFound | Conflict>
): proto.CommitOutcome =>
  Result.match(result, {
    onSuccess: ({ replayed, reservation }) => ({
      orderId,
      result: proto.CommitResult.COMMITTED,
      reservation: encodeReservation(reservation),
      replayed,
      detail: ""
    }),
    onFailure: (error) => ({
      orderId,
      result: error._tag === "NotFound" ? proto.CommitResult.NOT_FOUND : proto.CommitResult.ENDED,
      replayed: false,
      detail: error._tag === "Conflict" ? error.detail : `no reservation for order ${orderId}`
    })
  })

/** One order's answer within ReserveInventories: what ReserveInventory would have answered it. */
export const encodeReserveOutcome = (
  orderId: string,
  result: Result.Result<Outcome, ValidationError | NotFound | Conflict | InsufficientStock>
): proto.ReserveOutcome => {
  const none = { orderId, replayed: false, productId: "", requested: 0, available: 0, detail: "" }
  if (Result.isSuccess(result)) {
    const { replayed, reservation } = result.success
    return { ...none, result: proto.ReserveResult.RESERVED, reservation: encodeReservation(reservation), replayed }
  }
  const error = result.failure
  switch (error._tag) {
    case "InsufficientStock":
      return {
        ...none,
        result: proto.ReserveResult.INSUFFICIENT_STOCK,
        productId: error.productId,
        requested: error.requested,
        available: error.available,
        detail: error.message
      }
    case "NotFound":
      return { ...none, result: proto.ReserveResult.NOT_FOUND, productId: error.id, detail: error.message }
    case "Conflict":
      return { ...none, result: proto.ReserveResult.CONFLICT, detail: error.detail }
    case "ValidationError":
      return { ...none, result: proto.ReserveResult.INVALID, detail: error.message }
  }
}

export const encodeLevel = (level: InventoryLevel): proto.InventoryLevel => ({
  productId: level.productId,
  requested: level.requested,
  inventory: level.inventory,
  reserved: level.reserved,
  available: level.available,
  sufficient: level.sufficient
})
