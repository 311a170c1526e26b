import { topicOf } from "@shop/domain"
import { Instant } from "@shop/service-defaults/SqlColumns"
import { traced } from "@shop/service-defaults/TracedFunction"
import { DateTime, Effect, Schema } from "effect"
import { SqlClient, SqlSchema } from "effect/sql"
import { orderDatabaseUnavailable } from "./SagaAdmin.ts"

/** Unpublished events of one topic, with the time of the oldest. */
export interface TopicBacklog {
  readonly topic: string
  readonly pending: number
  readonly oldestAt: DateTime.Utc | undefined
}

const ByType = Schema.Struct({ type: Schema.String, pending: Schema.Int, oldest_at: Schema.NullOr(Instant) })

const earliest = (instants: ReadonlyArray<DateTime.Utc | null | undefined>): DateTime.Utc | undefined =>
  instants.reduce<DateTime.Utc | undefined>(
    (min, at) => (at == null ? min : min === undefined || DateTime.isLessThan(at, min) ? at : min),
    undefined
  )

/**
 * What the outbox holds that the relay has not published yet, per topic, with the oldest event's time: a growing
 * backlog or an old oldest event means the relay or the event bus is not keeping up (or is down).
 */
export const outboxBacklog = traced("OrderAdmin.outboxBacklog")(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* SqlSchema.findAll({
    Request: Schema.Void,
    Result: ByType,
    execute: () =>
      sql`SELECT type, count(*)::int AS pending, min(occurred_at) AS oldest_at FROM outbox
        WHERE published_at IS NULL GROUP BY type`
  })(undefined).pipe(Effect.catchTags(orderDatabaseUnavailable))
  const byTopic = new Map<string, Array<typeof ByType.Type>>()
  for (const row of rows) byTopic.set(topicOf(row.type), [...(byTopic.get(topicOf(row.type)) ?? []), row])
  const topics: ReadonlyArray<TopicBacklog> = [...byTopic.entries()]
    .map(([topic, types]) => ({
      topic,
      pending: types.reduce((sum, t) => sum + t.pending, 0),
      oldestAt: earliest(types.map((t) => t.oldest_at))
    }))
    .toSorted((a, b) => a.topic.localeCompare(b.topic))
  return {
    pending: topics.reduce((sum, t) => sum + t.pending, 0),
    oldestAt: earliest(topics.map((t) => t.oldestAt)),
    topics
  }
})
