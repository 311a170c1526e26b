import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** Rendered messages, the retry schedule of each delivery, and the delivery a dead letter stands for. */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE notifications
      ADD COLUMN subject text NOT NULL DEFAULT '',
      ADD COLUMN body text NOT NULL DEFAULT '',
      ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now()`
  yield* sql`CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'pending'`
  yield* sql`CREATE INDEX notifications_recipient_sent_idx ON notifications (recipient, sent_at) WHERE status = 'sent'`
  yield* sql`ALTER TABLE dead_letters ADD COLUMN notification_id text`
})
