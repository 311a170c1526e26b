import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Outcomes settled only by the processor:
 * - payments whose outcome is unknown are asked about again with a backoff (`next_check_at`, `checks`), never
 *   failed for not being found;
 * - refunds are retried with a backoff (`attempts`, `next_attempt_at`, `last_error`) and, when the processor keeps
 *   refusing them, `parked` for an operator instead of being marked failed and forgotten.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER TABLE payments
    ADD COLUMN checks integer NOT NULL DEFAULT 0,
    ADD COLUMN next_check_at timestamptz NOT NULL DEFAULT now()`
  yield* sql`CREATE INDEX payments_unsettled_idx ON payments (next_check_at)
    WHERE status IN ('pending', 'pending_unknown')`
  yield* sql`ALTER TABLE refunds
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error text`
  yield* sql`ALTER TABLE refunds DROP CONSTRAINT refunds_status_check`
  yield* sql`ALTER TABLE refunds ADD CONSTRAINT refunds_status_check
    CHECK (status IN ('pending', 'succeeded', 'failed', 'parked'))`
  // A refund the processor refused used to be failed for good while its order said refunded: send it again.
  yield* sql`UPDATE refunds SET status = 'pending', last_error = failure_reason, failure_reason = NULL
    WHERE status = 'failed'`
  yield* sql`CREATE INDEX refunds_due_idx ON refunds (next_attempt_at) WHERE status = 'pending'`
})
