import { maxOrdersPerStockCall, ValidationError } from "@shop/domain"
import { ProductServiceService, type ReserveInventoryRequest } from "@shop/proto/product/v1/product"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Duration, Effect, Option } from "effect"
import { Catalog } from "../Catalog.ts"
import { Inventory } from "../Inventory.ts"
import { ProductCache } from "../ProductCache.ts"
import {
  decodeItems,
  decodeSort,
  encodeCommitOutcome,
  encodeLevel,
  encodeProduct,
  encodeReservation,
  encodeReserveOutcome,
  ifSet
} from "./ProductCodec.ts"

/** shop.product.v1.ProductService over Catalog, Search (through the cache) and Inventory. */
export const ProductGrpcServer = GrpcService.layer(
  ProductServiceService,
  Effect.gen(function*() {
    const catalog = yield* Catalog
    const cache = yield* ProductCache
    const inventory = yield* Inventory
    const reserveOne = (request: ReserveInventoryRequest) =>
      inventory.reserve(
        request.orderId,
        decodeItems(request.items),
        request.ttlSeconds > 0 ? Duration.seconds(request.ttlSeconds) : undefined
      )
    return {
      getProduct: ({ id }) => cache.getProduct(id).pipe(Effect.map(({ value }) => ({ product: encodeProduct(value) }))),
      listProducts: (request) =>
        cache.list({
          ...ifSet("page", request.page, request.page > 0),
          ...ifSet("limit", request.limit, request.limit > 0),
          ...ifSet("cursor", request.cursor, request.cursor !== ""),
          ...ifSet("sort", decodeSort(request.sort)),
          ...ifSet("category", request.category, request.category !== "")
        }).pipe(Effect.map(({ value }) => ({
          products: value.products.map(encodeProduct),
          total: value.total,
          page: value.page,
          limit: value.limit,
          nextCursor: value.nextCursor ?? ""
        }))),
      searchProducts: (request) =>
        cache.search({
          q: request.q,
          ...ifSet("category", request.category, request.category !== ""),
          ...ifSet("minPriceCents", request.minPriceCents),
          ...ifSet("maxPriceCents", request.maxPriceCents),
          ...ifSet("page", request.page, request.page > 0),
          ...ifSet("limit", request.limit, request.limit > 0),
          ...ifSet("sort", decodeSort(request.sort))
        }).pipe(Effect.map(({ cacheHit, value }) => ({
          products: value.products.map(encodeProduct),
          total: value.total,
          page: value.page,
          limit: value.limit,
          cacheHit,
          facets: value.facets.map((facet) => ({ category: facet.category, count: facet.count })),
          relaxed: value.relaxed
        }))),
      createProduct: (request) =>
        catalog.create({
          name: request.name,
          description: request.description,
          priceCents: request.priceCents,
          sku: request.sku,
          category: request.category,
          inventory: request.inventory,
          ...ifSet("currency", request.currency, request.currency !== "")
        }).pipe(Effect.map((product) => ({ product: encodeProduct(product) }))),
      updateProduct: (request) =>
        catalog.update(request.id, {
          ...ifSet("name", request.name),
          ...ifSet("description", request.description),
          ...ifSet("priceCents", request.priceCents),
          ...ifSet("currency", request.currency),
          ...ifSet("category", request.category),
          ...ifSet("inventory", request.inventory),
          ...ifSet("expectedUpdatedAt", request.expectedUpdatedAt)
        }).pipe(Effect.map((product) => ({ product: encodeProduct(product) }))),
      checkInventory: ({ items }) =>
        inventory.checkInventory(decodeItems(items)).pipe(Effect.map((levels) => ({
          levels: levels.map(encodeLevel),
          allAvailable: levels.every((level) => level.sufficient)
        }))),
      reserveInventory: (request) =>
        reserveOne(request).pipe(Effect.map(({ replayed, reservation }) => ({
          reservation: encodeReservation(reservation),
          replayed
        }))),
      reserveInventories: ({ reservations }) =>
        Effect.gen(function*() {
          if (reservations.length > maxOrdersPerStockCall) {
            return yield* new ValidationError({
              field: "reservations",
              detail: `at most ${maxOrdersPerStockCall} reservations at once`
            })
          }
          // Each as its own ReserveInventory; those of the same products share statements (Inventory's batches).
          const results = yield* Effect.forEach(
            reservations,
            (request) => Effect.result(reserveOne(request)),
            { concurrency: "unbounded" }
          )
          return { outcomes: results.map((result, i) => encodeReserveOutcome(reservations[i]!.orderId, result)) }
        }),
      commitReservation: ({ orderId }) =>
        inventory.commit(orderId).pipe(Effect.map(({ replayed, reservation }) => ({
          reservation: encodeReservation(reservation),
          replayed
        }))),
      commitReservations: ({ orderIds }) =>
        inventory.commitAll(orderIds).pipe(Effect.map((results) => ({
          outcomes: results.map((result, i) => encodeCommitOutcome(orderIds[i]!, result))
        }))),
      releaseReservation: ({ orderId, reason }) =>
        inventory.release(orderId, reason === "" ? undefined : reason).pipe(
          Effect.map(({ found, replayed, reservation }) => ({
            ...ifSet("reservation", Option.getOrUndefined(Option.map(reservation, encodeReservation))),
            found,
            replayed
          }))
        )
    }
  })
)
