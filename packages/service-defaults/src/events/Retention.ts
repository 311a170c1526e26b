import { Config, Duration, Effect, Metric, Schedule } from "effect"
import { SqlClient } from "effect/sql"

/** Rows removed by the retention sweeps, by table (outbox | event_log | inbox). */
export const retentionDeleted = Metric.counter("retention_deleted_rows_total", {
  description: "Rows removed by retention: published outbox rows, consumed event log rows, old inbox entries.",
  incremental: true
})

export interface RetentionOptions {
  /** How long a row is kept once it may go. */
  readonly keep: Duration.Input
  /** Rows per DELETE, so that a large backlog never holds locks for long. */
  readonly batchSize?: number | undefined
}

/**
 * Runs `deleteBatch` (one DELETE of at most `batchSize` rows older than `keepSeconds`) until a batch comes back
 * short, and counts what went.
 */
const pruneInBatches = (
  table: string,
  options: RetentionOptions,
  deleteBatch: (
    sql: SqlClient.SqlClient,
    batchSize: number,
    keepSeconds: number
  ) => Effect.Effect<ReadonlyArray<unknown>, unknown>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const batchSize = options.batchSize ?? 1_000
    const keepSeconds = Duration.toSeconds(Duration.fromInputUnsafe(options.keep))
    let total = 0
    while (true) {
      const deleted = (yield* deleteBatch(sql, batchSize, keepSeconds)).length
      total += deleted
      if (deleted < batchSize) break
    }
    if (total > 0) yield* Metric.update(Metric.withAttributes(retentionDeleted, { table }), total)
    return total
  })

/**
 * Deletes outbox rows published more than `keep` ago. A row not yet published is never deleted, whatever its age:
 * the relay owes it to the transport. Safe to run from several instances at once (rows are claimed with
 * SKIP LOCKED). Returns the number of rows deleted.
 */
export const pruneOutbox = (options: RetentionOptions) =>
  pruneInBatches("outbox", options, (sql, batchSize, keepSeconds) =>
    sql`
      DELETE FROM outbox WHERE seq IN (
        SELECT seq FROM outbox
        WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => ${keepSeconds})
        ORDER BY seq LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
      RETURNING seq`)

/**
 * Deletes event log rows stored more than `keep` ago that every consumer group has committed. An event some group
 * has not processed stays, however old (a stopped group holds the log until it resumes or its offset row is
 * deleted); a group that subscribes for the first time later starts at the oldest event still kept, as a new Kafka
 * consumer group starts at the oldest retained offset. Returns the number of rows deleted.
 */
export const pruneEventLog = (options: RetentionOptions) =>
  pruneInBatches("event_log", options, (sql, batchSize, keepSeconds) =>
    sql`
      DELETE FROM event_log WHERE seq IN (
        SELECT seq FROM event_log
        WHERE stored_at < now() - make_interval(secs => ${keepSeconds})
          AND seq <= (SELECT min(committed_seq) FROM event_log_offsets)
        ORDER BY seq LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
      RETURNING seq`)

/**
 * Deletes a consumer's inbox entries (the event ids it has applied) processed more than `keep` ago. Past that age a
 * redelivered event would be applied again, so `keep` must outlast any redelivery: longer than the event log's or
 * the Kafka topic's retention. Returns the number of rows deleted.
 */
export const pruneInbox = (options: RetentionOptions) =>
  pruneInBatches("inbox", options, (sql, batchSize, keepSeconds) =>
    sql`
      DELETE FROM inbox WHERE event_id IN (
        SELECT event_id FROM inbox
        WHERE processed_at < now() - make_interval(secs => ${keepSeconds})
        ORDER BY processed_at LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
      RETURNING event_id`)

/** `RETENTION_SWEEP_INTERVAL`: how often every retention sweep runs (10 minutes). */
export const retentionSweepInterval = Config.Duration("RETENTION_SWEEP_INTERVAL").pipe(
  Config.withDefault(Duration.minutes(10))
)

/** Runs a prune every `every`, forever; a failed sweep is logged and the next one tries again. */
export const sweepEvery = <E, R>(every: Duration.Input, prune: Effect.Effect<number, E, R>, label: string) =>
  prune.pipe(
    Effect.tapCause((cause) => Effect.logWarning(`${label} retention sweep failed; retrying at the next one`, cause)),
    Effect.ignore,
    Effect.repeat(Schedule.spaced(every)),
    Effect.asVoid
  )
