import { Effect } from "effect"
import type { SqlClient } from "effect/sql"
import { lockedCte } from "./Reservation.ts"

/**
 * A sale's units leave a product's stock in two steps, so that a commit never touches the product's row.
 *
 * Every order locks the rows of its products twice: when it reserves (the stock must be checked and held under the
 * row's lock) and when it commits. On a popular product the row's lock is the queue all orders wait in; the commit's
 * turn in it was half of the waiting, and a commit cannot fail on stock, so it does not need the lock.
 *
 * - A commit records its units in `unfolded_sales` (one INSERT of the order's lines; see `commitReservation`).
 * - The folder (`StockFolder`) moves every recorded sale into its products' rows: one statement for many commits,
 *   taking each popular row's lock once where each commit took it before.
 *
 * Until a sale is folded, the product's row still counts its units as reserved and on hand: the difference, what
 * is available, is exact either way, and every read of `on_hand`, `reserved` or `sold` applies the unfolded units
 * (`unfoldedUnits`), so nobody sees the fold. The cache neither: its versions move at the commit, as the stock a
 * read shows changes then; the fold changes nothing a read shows.
 */

/**
 * The units of the product `alias.id` that are sold and not folded yet, as a scalar subquery: subtract them from its
 * row's `on_hand` and `reserved`, add them to `sold`. Read in the same statement as the row: the fold moves units
 * from one to the other in one transaction, so one snapshot sees each unit once.
 */
export const unfoldedUnits = (sql: SqlClient.SqlClient, alias: string) =>
  sql.literal(`(SELECT coalesce(sum(u.quantity), 0)::int FROM unfolded_sales u WHERE u.product_id = ${alias}.id)`)

/**
 * Folds up to `limit` unfolded sales into their products' rows in one statement; how many it folded. The sales are
 * claimed with SKIP LOCKED, so two folders (replicas) never wait on or fold the same one; the products are then locked
 * in id order, as every change of stock does, and each moves by the sum of its claimed units. Nothing else locks
 * `unfolded_sales` rows, so the fold waits only for the products' rows, and never deadlocks with a reservation.
 */
export const foldSales = (sql: SqlClient.SqlClient, limit: number) =>
  Effect.map(
    sql<{ readonly folded: number }>`
      WITH claimed AS MATERIALIZED (
        SELECT order_id, product_id FROM unfolded_sales ORDER BY product_id LIMIT ${limit} FOR UPDATE SKIP LOCKED
      ),
      folded AS (
        DELETE FROM unfolded_sales u USING claimed c
        WHERE u.order_id = c.order_id AND u.product_id = c.product_id
        RETURNING u.product_id, u.quantity
      ),
      totals AS MATERIALIZED (SELECT product_id, sum(quantity)::int AS quantity FROM folded GROUP BY product_id),
      ${lockedCte(sql, sql`SELECT product_id FROM totals`)},
      moved AS (
        UPDATE products p SET reserved = p.reserved - t.quantity, on_hand = p.on_hand - t.quantity,
          sold = p.sold + t.quantity
        FROM locked l, totals t WHERE l.id = p.id AND t.product_id = p.id
      )
      SELECT (SELECT count(*) FROM claimed)::int AS folded`,
    ([row]) => row?.folded ?? 0
  )
