import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * The order's payment status in the domain's words (`succeeded`, not `completed`), and absent while no charge has
 * been attempted: the one status vocabulary from the payment service to the REST edge, which alone shows
 * `completed`.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE orders ALTER COLUMN payment_status DROP NOT NULL, ALTER COLUMN payment_status DROP DEFAULT`
  yield* sql`UPDATE orders SET payment_status = NULL WHERE payment_status = 'pending' AND payment_id IS NULL`
  yield* sql`UPDATE orders SET payment_status = 'succeeded' WHERE payment_status = 'completed'`
  yield* sql`ALTER TABLE orders ADD CONSTRAINT orders_payment_status_check
    CHECK (payment_status IN ('pending', 'pending_unknown', 'succeeded', 'failed', 'refunded'))`
})
