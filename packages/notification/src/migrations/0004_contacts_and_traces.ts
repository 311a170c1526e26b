import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/**
 * Recipients come from the order's contact: a notification that has none in production is recorded `unsendable`
 * (no recipient, the reason in last_error) instead of going to an invented address. `sms_fallback` is the number an
 * email falls back to (none: no SMS); `traceparent` is the trace the delivery continues.
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE notifications
      ADD COLUMN sms_fallback text,
      ADD COLUMN traceparent text,
      ALTER COLUMN recipient DROP NOT NULL`
  yield* sql`ALTER TABLE notifications DROP CONSTRAINT notifications_status_check`
  yield* sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
      CHECK (status IN ('pending', 'sent', 'failed', 'dead', 'unsendable'))`
  yield* sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_recipient_check
      CHECK (recipient IS NOT NULL OR status = 'unsendable')`
})
