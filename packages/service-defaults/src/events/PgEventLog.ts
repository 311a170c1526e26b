import { PgClient } from "@effect/sql-pg"
import { Cause, Config, Duration, Effect, Layer, Metric, Queue, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { randomUUID } from "node:crypto"
import { prepareDatabase } from "../Database.ts"
import { traced } from "../TracedFunction.ts"
import { atMostEvery } from "./AtMostEvery.ts"
import {
  type DeliveredEvent,
  EventBus,
  EventBusError,
  type EventRecord,
  handledPrefix,
  indexesByKey,
  keysAtOnce,
  redeliveryBackoff,
  type Subscription
} from "./EventBus.ts"
import { migrateEventLog } from "./EventLogMigrations.ts"
import { consumerLag } from "./EventMetrics.ts"
import { processSpan } from "./EventTrace.ts"
import { idlePolling } from "./IdlePolling.ts"
import { pruneEventLog, retentionSweepInterval, sweepEvery } from "./Retention.ts"

export interface PgEventLogOptions {
  /** How often an idle consumer looks for new events when no NOTIFY arrives. */
  readonly pollInterval?: Duration.Input | undefined
  /** While nothing arrives, polling slows down to this (see `idlePolling`); default: no slowing down. */
  readonly maxPollInterval?: Duration.Input | undefined
  readonly batchSize?: number | undefined
  /** How long a consumer instance owns its group without renewing; a crashed owner is replaced after this. */
  readonly leaseDuration?: Duration.Input | undefined
  /** LISTEN for wake-ups. Off on embedded PGlite, where a listener would hold the pool's only connection. */
  readonly listen?: boolean | undefined
  /** Delete events every group has committed once they are this old, by a sweep every `sweepInterval`. */
  readonly retention?: { readonly keep: Duration.Input; readonly sweepInterval: Duration.Input } | undefined
}

const channel = "event_log"

/** Key of the advisory lock that serializes publishers, so that sequence order is commit order (any constant). */
const publishLockKey = 7_316_001

interface LogRow {
  readonly seq: string
  readonly eventId: string
  readonly topic: string
  readonly key: string
  readonly type: string
  readonly version: number
  readonly traceparent: string | null
  readonly value: string
}

const make = (options: PgEventLogOptions) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pg = yield* PgClient.PgClient
    yield* migrateEventLog.pipe(Effect.mapError((cause) => new EventBusError({ operation: "migrate", cause })))
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? "500 millis")
    const leaseSeconds = Duration.toSeconds(Duration.fromInputUnsafe(options.leaseDuration ?? "10 seconds"))
    const batchSize = options.batchSize ?? 200
    const listen = options.listen ?? true
    if (options.retention !== undefined) {
      yield* Effect.forkScoped(
        sweepEvery(options.retention.sweepInterval, pruneEventLog({ keep: options.retention.keep }), "event log")
      )
    }

    const publish = traced("PgEventLog.publish")(function*(records: ReadonlyArray<EventRecord>) {
      if (records.length === 0) return
      const column = <A>(f: (record: EventRecord) => A) => records.map(f)
      // One statement, so one transaction and one round trip. The advisory lock is held to its commit, and it is
      // taken before any row gets its `seq`: every inserted row comes out of the join with the lock's one row. The
      // rows keep the batch's order (ORDER BY its ordinality). No traceparent travels as '' (the driver cannot type an
      // array of nulls alone; a traceparent is never empty). Idempotent like Kafka's producer: a retried batch
      // stores each event once. The table's trigger (migration 0002) notifies channel `event_log` at commit.
      yield* sql`WITH publishing AS MATERIALIZED (SELECT pg_advisory_xact_lock(${publishLockKey}))
        INSERT INTO event_log (event_id, topic, key, type, version, traceparent, value)
        SELECT e.event_id, e.topic, e.key, e.type, e.version, nullif(e.traceparent, ''), e.value
        FROM publishing, unnest(
          ${column((r) => r.eventId)}::text[], ${column((r) => r.topic)}::text[], ${column((r) => r.key)}::text[],
          ${column((r) => r.type)}::text[], ${column((r) => r.version)}::int[],
          ${column((r) => r.traceparent ?? "")}::text[], ${column((r) => r.value)}::text[]
        ) WITH ORDINALITY AS e(event_id, topic, key, type, version, traceparent, value, n)
        ORDER BY e.n
        ON CONFLICT (event_id) DO NOTHING`.pipe(
        Effect.mapError((cause) => new EventBusError({ operation: "publish", cause }))
      )
    })

    const subscribe = (subscription: Subscription) =>
      Effect.scoped(Effect.gen(function*() {
        const { group, handler, topics } = subscription
        const owner = randomUUID()
        const lag = Metric.withAttributes(consumerLag, { group })
        const wake = listen ? yield* pg.listen(channel) : undefined
        const polling = idlePolling(pollInterval, options.maxPollInterval)
        // A wake-up per stored batch; the wake-ups queued during a round are dropped with the first, as the next
        // read covers them all (see the outbox relay).
        const idle = Effect.suspend(() =>
          wake === undefined
            ? Effect.sleep(polling.idle())
            : Queue.take(wake).pipe(
              Effect.andThen(Queue.clear(wake)),
              Effect.timeoutOption(polling.idle()),
              Effect.asVoid,
              Effect.orDie
            )
        )
        yield* sql`INSERT INTO event_log_offsets (group_id) VALUES (${group}) ON CONFLICT (group_id) DO NOTHING`
        yield* Effect.addFinalizer(() =>
          sql`UPDATE event_log_offsets SET owner = NULL, lease_until = NULL WHERE group_id = ${group} AND owner = ${owner}`
            .pipe(Effect.ignore)
        )
        // The lease and the batch after the group's committed position, in one statement (one round trip): no row
        // when another instance owns the group, one row without an event when nothing is new.
        const claimAndRead = sql<{ readonly committedSeq: string } & (LogRow | { readonly [K in keyof LogRow]: null })>`
          WITH claimed AS (
            UPDATE event_log_offsets SET owner = ${owner}, lease_until = now() + make_interval(secs => ${leaseSeconds})
            WHERE group_id = ${group} AND (owner IS NULL OR owner = ${owner} OR lease_until < now())
            RETURNING committed_seq)
          SELECT claimed.committed_seq::text AS "committedSeq", e.seq::text AS seq, e.event_id AS "eventId", e.topic,
            e.key, e.type, e.version, e.traceparent, e.value
          FROM claimed LEFT JOIN LATERAL (
            SELECT * FROM event_log WHERE seq > claimed.committed_seq AND topic IN ${sql.in(topics)}
            ORDER BY event_log.seq LIMIT ${batchSize}) e ON true
          ORDER BY e.seq`
        const commit = (seq: string) =>
          Effect.gen(function*() {
            const updated = yield* sql`
              UPDATE event_log_offsets SET committed_seq = ${seq}::bigint
              WHERE group_id = ${group} AND owner = ${owner} RETURNING group_id`
            if (updated.length === 0) {
              return yield* Effect.fail(new Error(`consumer of group ${group} lost its lease before committing`))
            }
          })
        // The lag gauge asks for the log's head (a max over the whole log) at most once a second, not every round.
        const lagGauge = atMostEvery(1_000)
        const sampleLag = (committed: string) =>
          lagGauge(Effect.flatMap(
            sql<{ head: string }>`SELECT coalesce(max(seq), 0)::text AS head FROM event_log`,
            (head) => Metric.update(lag, Math.max(0, Number(head[0]?.head ?? 0) - Number(committed)))
          ))
        const step = Effect.gen(function*() {
          const claimed = yield* claimAndRead
          const committed = claimed[0]?.committedSeq
          if (committed === undefined) return "idle" as const // another instance owns the group
          const rows = claimed.filter((row): row is typeof row & LogRow => row.seq !== null)
          yield* sampleLag(committed)
          if (rows.length === 0) return "idle" as const
          // The events of different keys are handled at once, each key's in order (the subscription's promise): a
          // handler's round trip no longer waits for another order's, and handlers that write through a batcher
          // share its statements.
          const handled = rows.map(() => false)
          yield* Effect.forEach(
            indexesByKey(rows.map((row) => row.key)),
            (indexes) =>
              Effect.forEach(indexes, (i) => {
                const event = toDelivered(rows[i]!)
                return handler(event).pipe(
                  processSpan(event, group),
                  Effect.tap(() => Effect.sync(() => handled[i] = true))
                )
              }, { discard: true }),
            { concurrency: keysAtOnce, discard: true }
          ).pipe(
            // A failed handler keeps the progress before the first event not handled; the rest of the batch comes
            // again (handlers are idempotent). An interrupted consumer writes nothing more, like a crashed one, and
            // its whole batch comes again.
            Effect.onError((cause) => {
              if (!Cause.hasFails(cause) && !Cause.hasDies(cause)) return Effect.void
              const done = handledPrefix(handled)
              return done === 0 ? Effect.void : Effect.ignore(commit(rows[done - 1]!.seq))
            })
          )
          yield* commit(rows[rows.length - 1]!.seq)
          // A short batch read every event there was: wait for the next wake-up (or poll) instead of asking again.
          return rows.length < batchSize ? "drained" as const : "busy" as const
        })
        return yield* Effect.forever(Effect.flatMap(step, (outcome) => {
          if (outcome === "idle") return idle
          polling.busy()
          return outcome === "drained" ? idle : Effect.void
        }))
      })).pipe(
        Effect.tapCause((cause) =>
          Effect.logWarning("event consumer failed; retrying from the committed offset", cause)
        ),
        Effect.retry(redeliveryBackoff),
        Effect.mapError((cause) => new EventBusError({ operation: "subscribe", cause })),
        Effect.withSpan("PgEventLog.subscribe", { attributes: { group: subscription.group } })
      )

    return EventBus.of({ publish, subscribe })
  })

const toDelivered = (row: LogRow): DeliveredEvent => ({
  eventId: row.eventId,
  topic: row.topic,
  key: row.key,
  type: row.type,
  version: row.version,
  ...(row.traceparent === null ? {} : { traceparent: row.traceparent }),
  value: row.value,
  position: row.seq
})

/** The event log on the given `PgClient` (tests, or a service that shares its database with the log). */
export const layerNoDeps = (options: PgEventLogOptions = {}) => Layer.effect(EventBus, make(options))

/**
 * The event log in its own database, `EVENT_LOG_URL` (every producer and consumer points at the same one).
 * `EVENT_LOG_POLL` is the polling fallback, slowing down to `EVENT_LOG_POLL_MAX` (default: the same) while idle;
 * `EVENT_LOG_LISTEN=false` turns LISTEN/NOTIFY off. Events every group
 * has committed are deleted `EVENT_LOG_RETENTION` (7 days) after they were stored, swept every
 * `RETENTION_SWEEP_INTERVAL` (10 minutes).
 */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const url = yield* Config.Redacted("EVENT_LOG_URL").pipe(
    Config.withDefault(Redacted.make("postgres://postgres@127.0.0.1:5432/shop_events"))
  )
  const maxConnections = yield* Config.Int("EVENT_LOG_POOL_MAX").pipe(Config.withDefault(4))
  const pollInterval = yield* Config.Duration("EVENT_LOG_POLL").pipe(Config.withDefault(Duration.millis(500)))
  const maxPollInterval = yield* Config.Duration("EVENT_LOG_POLL_MAX").pipe(Config.withDefault(pollInterval))
  const listen = yield* Config.Boolean("EVENT_LOG_LISTEN").pipe(Config.withDefault(maxConnections > 1))
  const keep = yield* Config.Duration("EVENT_LOG_RETENTION").pipe(Config.withDefault(Duration.days(7)))
  const sweepInterval = yield* retentionSweepInterval
  yield* prepareDatabase(url, yield* Config.Boolean("DATABASE_AUTO_CREATE").pipe(Config.withDefault(true)))
  return layerNoDeps({ pollInterval, maxPollInterval, listen, retention: { keep, sweepInterval } }).pipe(
    Layer.provide(PgClient.layer({ url, maxConnections, applicationName: "event_log" }))
  )
}))
