import { Conflict, NotFound, ValidationError } from "@shop/domain"
import { ProductId } from "@shop/domain/Ids"
import type { Product } from "@shop/domain/Product"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, DateTime, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { CacheVersions } from "./CacheVersions.ts"
import { CreateProductInput, decodeInput, UpdateProductInput } from "./ProductInput.ts"
import { productColumns, type ProductRow, toProduct } from "./ProductRow.ts"
import { after, decodeCursor, encodeCursor, orderBy, type ProductSort, sortKeyText } from "./ProductSort.ts"
import { unfoldedUnits } from "./StockFold.ts"

/** A listing request: by page number, or after the opaque `cursor` of a previous page (same `sort`). */
export interface ListQuery {
  readonly page?: number
  readonly limit?: number
  readonly cursor?: string
  readonly sort?: ProductSort
  readonly category?: string
}

/** One page of a listing; `nextCursor` is absent on the last page. */
export interface ProductPage {
  readonly products: ReadonlyArray<Product>
  readonly total: number
  readonly page: number
  readonly limit: number
  readonly nextCursor: string | undefined
}

/** Page sizes: the default, and the largest a caller gets. */
export const defaultLimit = 20
export const maxLimit = 100

/** Validates paging input: `page` from 1, `limit` 0 (the default) or more, capped at {@link maxLimit}. */
export const paging = (page: number | undefined, limit: number | undefined) =>
  Effect.gen(function*() {
    const p = page === undefined || page === 0 ? 1 : page
    const l = limit === undefined || limit === 0 ? defaultLimit : limit
    if (!Number.isInteger(p) || p < 1) return yield* new ValidationError({ field: "page", detail: "must be 1 or more" })
    if (!Number.isInteger(l) || l < 1) {
      return yield* new ValidationError({ field: "limit", detail: "must be a positive integer" })
    }
    return { page: p, limit: Math.min(l, maxLimit) }
  })

const notFound = (id: string) => new NotFound({ entity: "product", id })

/** The product catalog: entries, their prices and their stock levels. */
export class Catalog extends Context.Service<Catalog, {
  readonly create: (input: CreateProductInput) => Effect.Effect<Product, ValidationError | Conflict>
  readonly update: (
    id: string,
    input: UpdateProductInput
  ) => Effect.Effect<Product, ValidationError | NotFound | Conflict>
  /** One product; `available` (inventory - reserved) is read from the database at this moment. */
  readonly get: (id: string) => Effect.Effect<Product, NotFound>
  /** The products among `ids` that exist, in the order of `ids`. */
  readonly getMany: (ids: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Product>>
  readonly list: (query: ListQuery) => Effect.Effect<ProductPage, ValidationError>
}>()("product/Catalog") {
  static readonly layer = Layer.effect(
    Catalog,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const versions = yield* CacheVersions
      const columns = productColumns(sql, "p")
      const decodeCreate = decodeInput(CreateProductInput)
      const decodeUpdate = decodeInput(UpdateProductInput)

      const create = traced("Catalog.create")(function*(input: CreateProductInput) {
        const fields = yield* decodeCreate(input)
        const id = yield* ProductId.generate
        const [row] = yield* sql<ProductRow>`
        INSERT INTO products AS p ${
          sql.insert({
            id,
            sku: fields.sku,
            name: fields.name,
            description: fields.description ?? "",
            category: fields.category,
            price_cents: fields.priceCents,
            currency: fields.currency ?? "USD",
            on_hand: fields.inventory
          })
        } RETURNING ${columns}`.pipe(
          Effect.catchReason(
            "SqlError",
            "UniqueViolation",
            () => Effect.fail(new Conflict({ detail: `a product with SKU ${fields.sku} already exists` }))
          ),
          Effect.catchTag("SqlError", Effect.die)
        )
        yield* versions.bump({ productIds: [id], catalog: true })
        return toProduct(row!)
      })

      // The lock, then the read, in two statements: a statement that waited for the row's lock (a fold holding it)
      // returns the row as the fold left it but reads the unfolded sales as they were when it started, counting
      // the folded units twice. After the lock no fold can move this product's units until the transaction ends.
      const lockForUpdate = (id: string) =>
        Effect.andThen(
          sql`SELECT 1 FROM products WHERE id = ${id} FOR UPDATE`,
          sql<ProductRow>`SELECT ${columns} FROM products p WHERE p.id = ${id}`
        ).pipe(Effect.flatMap(([row]) => row === undefined ? Effect.fail(notFound(id)) : Effect.succeed(row)))

      const update = traced("Catalog.update")(function*(id: string, input: UpdateProductInput) {
        const { expectedUpdatedAt, ...fields } = yield* decodeUpdate(input)
        const changes = {
          ...(fields.name !== undefined ? { name: fields.name } : {}),
          ...(fields.description !== undefined ? { description: fields.description } : {}),
          ...(fields.priceCents !== undefined ? { price_cents: fields.priceCents } : {}),
          ...(fields.currency !== undefined ? { currency: fields.currency } : {}),
          ...(fields.category !== undefined ? { category: fields.category } : {})
        }
        // The row keeps counting unfolded sales as on hand (see StockFold.ts): the inventory asked for is what is
        // left after them, so the row stores it plus the units sold and not folded yet.
        const assignments = [
          ...(Object.keys(changes).length > 0 ? [sql`${sql.update(changes)}`] : []),
          ...(fields.inventory !== undefined ? [sql`on_hand = ${fields.inventory} + ${unfoldedUnits(sql, "p")}`] : [])
        ]
        const row = yield* Effect.gen(function*() {
          const locked = yield* lockForUpdate(id)
          const current = toProduct(locked)
          if (expectedUpdatedAt !== undefined && DateTime.toEpochMillis(expectedUpdatedAt) !== +locked.updated_at) {
            return yield* new Conflict({
              detail: `product ${id} was changed since ${DateTime.formatIso(expectedUpdatedAt)}`
            })
          }
          if (fields.inventory !== undefined && fields.inventory < current.reserved) {
            return yield* new Conflict({
              detail: `inventory ${fields.inventory} is below the ${current.reserved} units reserved for open orders`
            })
          }
          if (assignments.length === 0) return locked
          const [updated] = yield* sql<ProductRow>`
          UPDATE products p SET ${sql.csv(assignments)}, version = p.version + 1,
            updated_at = greatest(now(), p.updated_at + interval '1 millisecond')
          WHERE p.id = ${id} RETURNING ${columns}`
          return updated!
        }).pipe(sql.withTransaction, Effect.catchTag("SqlError", Effect.die))
        yield* versions.bump({ productIds: [id], catalog: true })
        return toProduct(row)
      })

      const get = traced("Catalog.get")(function*(id: string) {
        const [row] = yield* sql<ProductRow>`SELECT ${columns} FROM products p WHERE p.id = ${id}`.pipe(Effect.orDie)
        if (row === undefined) return yield* notFound(id)
        return toProduct(row)
      })

      const getMany = traced("Catalog.getMany")(function*(ids: ReadonlyArray<string>) {
        if (ids.length === 0) return []
        const rows = yield* sql<ProductRow>`SELECT ${columns} FROM products p WHERE p.id = ANY(${ids})`.pipe(
          Effect.orDie
        )
        const byId = new Map(rows.map((row) => [row.id, row]))
        return ids.flatMap((id) => {
          const row = byId.get(id)
          return row === undefined ? [] : [toProduct(row)]
        })
      })

      const list = traced("Catalog.list")(function*(query: ListQuery) {
        const { limit, page } = yield* paging(query.page, query.limit)
        const sort = query.sort ?? "created_at_desc"
        const cursor = query.cursor ? yield* decodeCursor(query.cursor, sort) : undefined
        const inCategory = query.category ? [sql`p.category = ${query.category}`] : []
        const rows = yield* sql<ProductRow & { readonly sort_key: string }>`
        SELECT ${columns}, ${sortKeyText(sql, sort, "p")} AS sort_key FROM products p
        WHERE ${sql.and([...inCategory, ...(cursor ? [after(sql, cursor, "p")] : [])])}
        ORDER BY ${orderBy(sql, sort, "p")}
        LIMIT ${limit + 1} OFFSET ${cursor ? 0 : (page - 1) * limit}`.pipe(Effect.orDie)
        const [count] = yield* sql<{ readonly total: number }>`
        SELECT count(*)::int AS total FROM products p WHERE ${sql.and(inCategory)}`.pipe(Effect.orDie)
        const last = rows.length > limit ? rows[limit - 1] : undefined
        return {
          products: rows.slice(0, limit).map(toProduct),
          total: count?.total ?? 0,
          page,
          limit,
          nextCursor: last && encodeCursor({ sort, key: last.sort_key, id: last.id })
        } satisfies ProductPage
      })

      return Catalog.of({ create, update, get, getMany, list })
    })
  )
}
