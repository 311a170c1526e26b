import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Units of committed reservations that are not yet folded into their products' stock columns (see StockFold.ts):
 * a commit records them here instead of updating a popular product's row, and the folder moves many commits into
 * the row at once. Reads subtract them, so stock reads are exact at every moment. The index serves those reads.
 *
 * No foreign keys: checking one would lock the very product row (FOR KEY SHARE) that the commit no longer touches.
 * The rows are copied from `reservation_items`, whose keys are checked, and products are never deleted.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    CREATE TABLE unfolded_sales (
      order_id text NOT NULL,
      product_id text NOT NULL,
      quantity integer NOT NULL CHECK (quantity > 0),
      PRIMARY KEY (order_id, product_id)
    )`
  yield* sql`CREATE INDEX unfolded_sales_product_idx ON unfolded_sales (product_id) INCLUDE (quantity)`
})
