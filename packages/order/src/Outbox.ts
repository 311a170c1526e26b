import { encodeEvent, type KnownEvent } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { SqlClient, type Statement } from "effect/sql"

/**
 * The statement that writes one event into the outbox, to run (or to embed in a larger statement) inside the state
 * change it describes, and only when `onlyIf` holds: the row then exists exactly when the change does. Columns carry
 * the envelope (event id, type, version, occurred_at, key as aggregate_id); `payload` is the encoded payload and
 * `headers` carries `traceparent` for the relay. The table's trigger (migration 0005) notifies channel `outbox` at
 * commit: a listening relay wakes at once.
 */
export const outboxInsert = traced("Outbox.insert")(function*(event: KnownEvent, onlyIf?: Statement.Fragment) {
  const sql = yield* SqlClient.SqlClient
  const encoded = yield* encodeEvent(event)
  const headers = encoded.traceparent === undefined ? {} : { traceparent: encoded.traceparent }
  return sql<never>`
    INSERT INTO outbox (event_id, aggregate_id, type, version, payload, headers, occurred_at)
    SELECT ${encoded.eventId}::text, ${encoded.key}::text, ${encoded.type}::text, ${encoded.version}::integer,
      ${JSON.stringify(encoded.payload)}::jsonb, ${JSON.stringify(headers)}::jsonb, ${encoded.occurredAt}::timestamptz
    WHERE ${onlyIf ?? sql.literal("true")}`
})
