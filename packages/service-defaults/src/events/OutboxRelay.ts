import { topicOf } from "@shop/domain/EventEnvelope"
import { Config, Duration, Effect, Layer, Metric } from "effect"
import { SqlClient } from "effect/sql"
import { traceparent as traceparentOf } from "../grpc/TraceMetadata.ts"
import * as Backoff from "../resilience/Backoff.ts"
import { atMostEvery } from "./AtMostEvery.ts"
import { EventBus, type EventRecord } from "./EventBus.ts"
import { outboxPending, outboxPublished, outboxRelayRounds } from "./EventMetrics.ts"
import { continuing } from "./EventTrace.ts"
import { idlePolling } from "./IdlePolling.ts"
import { OutboxWakeUp } from "./OutboxWakeUp.ts"
import { pruneOutbox, retentionSweepInterval, sweepEvery } from "./Retention.ts"

export interface OutboxRelayOptions {
  readonly batchSize?: number | undefined
  /** How often the relay looks for rows when no writer of its process woke it (`OutboxWakeUp`). */
  readonly pollInterval?: Duration.Input | undefined
  /** While nothing arrives, polling slows down to this (see `idlePolling`); default: no slowing down. */
  readonly maxPollInterval?: Duration.Input | undefined
  /**
   * How long a claimed batch stays the relay's (default 30 seconds): rows of a relay that died mid-publish are
   * claimable again after this. A publish is given up after half of it, so a live relay's lease never runs out.
   */
  readonly lease?: Duration.Input | undefined
}

interface OutboxRow {
  readonly seq: string
  readonly eventId: string
  readonly aggregateId: string
  readonly type: string
  readonly version: number
  readonly payload: unknown
  readonly headers: { readonly traceparent?: string } | null
  readonly occurredAt: Date
}

const toRecord = (row: OutboxRow): EventRecord => {
  const traceparent = row.headers?.traceparent
  const occurredAt = row.occurredAt instanceof Date ? row.occurredAt.toISOString() : String(row.occurredAt)
  const envelope = {
    eventId: row.eventId,
    type: row.type,
    version: row.version,
    occurredAt,
    key: row.aggregateId,
    ...(traceparent === undefined ? {} : { traceparent }),
    payload: row.payload
  }
  return {
    eventId: row.eventId,
    topic: topicOf(row.type),
    key: row.aggregateId,
    type: row.type,
    version: row.version,
    traceparent,
    value: JSON.stringify(envelope)
  }
}

// `drained`: published a batch shorter than the limit, so the outbox held no more rows for this relay.
type Outcome = "published" | "drained" | "idle" | "failed"

/**
 * Each record that carries a trace context is published in a `publish <topic>` producer span continuing it, and
 * travels with that span's traceparent: the trace of the request that caused the event shows when it left, and the
 * consumers' spans hang under it. The spans end when the transport answered, failed or not.
 */
const withPublishSpans = (records: ReadonlyArray<EventRecord>) =>
  Effect.forEach(records, (record) =>
    record.traceparent === undefined
      ? Effect.succeed(record)
      : Effect.map(
        Effect.makeSpanScoped(
          `publish ${record.topic}`,
          continuing(record.traceparent, {
            kind: "producer",
            attributes: {
              "messaging.operation.type": "send",
              "messaging.destination.name": record.topic,
              "messaging.message.id": record.eventId,
              "shop.event.type": record.type
            }
          })
        ),
        (span): EventRecord => ({ ...record, traceparent: traceparentOf(span) })
      ))

/**
 * Publishes the `outbox` table of the current database through the EventBus, forever. Each round leases the oldest
 * unpublished rows (`FOR UPDATE SKIP LOCKED` while the claim runs, then `leased_until`: several relays can run) and
 * publishes them in `seq` order; a row is marked published only after the transport acknowledged it. No transaction
 * is held while the transport answers: a round is two statements, the claim and the mark. Per-aggregate order: a
 * row whose aggregate has an earlier unpublished row outside the claim (another relay's, or blocked itself) is left
 * for later, so seq n+1 never overtakes n. A failed publish records attempts and last_error on the rows and gives
 * their lease back; they stay pending and are retried with backoff; nothing is ever dropped. A relay that dies
 * mid-publish leaves its rows leased until the lease runs out; they are then published again (at least once: the
 * consumers' inboxes drop what they already have).
 */
export const runOutboxRelay = (options: OutboxRelayOptions = {}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const bus = yield* EventBus
    const batchSize = options.batchSize ?? 200
    const pollInterval = Duration.fromInputUnsafe(options.pollInterval ?? "500 millis")
    const lease = Duration.fromInputUnsafe(options.lease ?? "30 seconds")
    const leaseSeconds = Duration.toSeconds(lease)
    const publishTimeout = Duration.divideUnsafe(lease, 2)
    // Without the wake-up (a process that writes no outbox rows of its own), the relay only polls.
    const wakeUp = yield* Effect.serviceOption(OutboxWakeUp)
    const polling = idlePolling(pollInterval, options.maxPollInterval)
    // Every committed write signals. The round after a wake-up claims whatever was committed before it started, so
    // the signals sent meanwhile fold into one (see OutboxWakeUp): one round for them all, where a round per write
    // would nearly all find nothing under load.
    const idle = Effect.suspend(() =>
      wakeUp._tag === "None" ? Effect.sleep(polling.idle()) : Effect.asVoid(wakeUp.value.wait(polling.idle()))
    )

    // One statement, so the candidates' row locks last only while it runs; the lease keeps them afterwards.
    // `candidates`: how many rows the claim looked at, blocked ones included; fewer than the batch means none were left.
    const claim = sql<OutboxRow & { readonly candidates: number }>`
      WITH candidates AS (
        SELECT seq, aggregate_id FROM outbox
        WHERE published_at IS NULL AND (leased_until IS NULL OR leased_until < now())
        ORDER BY outbox.seq LIMIT ${batchSize} FOR UPDATE SKIP LOCKED
      ), ready AS (
        SELECT c.seq FROM candidates c WHERE NOT EXISTS (
          SELECT 1 FROM outbox o WHERE o.published_at IS NULL AND o.aggregate_id = c.aggregate_id AND o.seq < c.seq
            AND o.seq NOT IN (SELECT seq FROM candidates))
      ), leased AS (
        UPDATE outbox SET leased_until = now() + make_interval(secs => ${leaseSeconds})
        FROM ready WHERE outbox.seq = ready.seq
        RETURNING outbox.seq, event_id, aggregate_id, type, version, payload, headers, occurred_at
      )
      SELECT seq::text AS seq, event_id AS "eventId", aggregate_id AS "aggregateId", type, version, payload, headers,
        occurred_at AS "occurredAt", (SELECT count(*) FROM candidates)::int AS candidates
      FROM leased ORDER BY leased.seq`

    const giveBack = (seqs: ReadonlyArray<string>, error: string) =>
      sql`UPDATE outbox SET attempts = attempts + 1, last_error = ${error}, leased_until = NULL
        WHERE seq IN ${sql.in(seqs)}`

    const round: Effect.Effect<Outcome, unknown> = Effect.gen(function*() {
      const claimed = yield* claim
      if (claimed.length === 0) return "idle" as const
      const seqs = claimed.map((row) => row.seq)
      const result = yield* Effect.result(
        Effect.scoped(Effect.flatMap(withPublishSpans(claimed.map(toRecord)), bus.publish)).pipe(
          Effect.timeoutOrElse({
            duration: publishTimeout,
            orElse: () => Effect.fail(new Error(`publish not acknowledged within ${Duration.format(publishTimeout)}`))
          }),
          // Stopped mid-publish: the rows are handed back now rather than when the lease runs out.
          Effect.onInterrupt(() => Effect.ignore(giveBack(seqs, "relay stopped during the publish")))
        )
      )
      if (result._tag === "Success") {
        yield* sql`UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL,
          leased_until = NULL WHERE seq IN ${sql.in(seqs)}`
        yield* Metric.update(Metric.withAttributes(outboxPublished, { outcome: "published" }), claimed.length)
        // A short batch took every row there was: waiting for the next insert's wake-up (or the poll) saves an
        // empty round. Rows another relay held are that relay's, or the next round's; a batch cut short only by
        // such blocked rows is not the end of a backlog, so the next round comes at once.
        return claimed[0]!.candidates < batchSize ? "drained" as const : "published" as const
      }
      const error = result.failure.message.slice(0, 1000)
      yield* giveBack(seqs, error)
      yield* Metric.update(Metric.withAttributes(outboxPublished, { outcome: "failed" }), claimed.length)
      yield* Effect.logWarning("outbox publish failed; the rows stay pending", error)
      return "failed" as const
    })

    // The gauge is a count(*): sampled at most once a second, not after every round of a busy relay.
    const pending = atMostEvery(1_000)(
      sql<{ n: string }>`SELECT count(*)::text AS n FROM outbox WHERE published_at IS NULL`.pipe(
        Effect.flatMap((r) => Metric.update(outboxPending, Number(r[0]?.n ?? 0)))
      )
    )

    let failures = 0
    const backoff: Backoff.Backoff = { base: Duration.millis(100), cap: Duration.seconds(10), jitter: "equal" }
    return yield* Effect.forever(Effect.gen(function*() {
      const outcome = yield* round.pipe(
        Effect.tapCause((cause) => Effect.logWarning("outbox relay round failed", cause)),
        Effect.orElseSucceed((): Outcome => "failed")
      )
      yield* Effect.ignore(pending)
      yield* Metric.update(Metric.withAttributes(outboxRelayRounds, { outcome }), 1)
      if (outcome === "failed") {
        failures++
        return yield* Effect.sleep(yield* Backoff.delay(backoff, failures))
      }
      failures = 0
      if (outcome === "idle") return yield* idle
      polling.busy()
      if (outcome === "drained") yield* idle
    }))
  }).pipe(Effect.scoped, Effect.withSpan("OutboxRelay.run"))

/**
 * The relay as a scoped layer for a producing service: it runs while the layer lives, woken by the service's writers
 * through the `OutboxWakeUp` it shares with them. Configuration: `OUTBOX_BATCH_SIZE`, `OUTBOX_POLL` (how often it
 * looks for rows when no writer signalled, slowing down to `OUTBOX_POLL_MAX` while idle), `OUTBOX_LEASE` (30 seconds:
 * how long the rows of a relay that died mid-publish wait for another). Published rows are deleted
 * `OUTBOX_RETENTION` (7 days) after publication, by a sweep every `RETENTION_SWEEP_INTERVAL` (10 minutes).
 */
export const OutboxRelayLive = Layer.effectDiscard(Effect.gen(function*() {
  const batchSize = yield* Config.Int("OUTBOX_BATCH_SIZE").pipe(Config.withDefault(200))
  const pollInterval = yield* Config.Duration("OUTBOX_POLL").pipe(Config.withDefault(Duration.millis(500)))
  const maxPollInterval = yield* Config.Duration("OUTBOX_POLL_MAX").pipe(Config.withDefault(pollInterval))
  const lease = yield* Config.Duration("OUTBOX_LEASE").pipe(Config.withDefault(Duration.seconds(30)))
  const keep = yield* Config.Duration("OUTBOX_RETENTION").pipe(Config.withDefault(Duration.days(7)))
  const sweep = yield* retentionSweepInterval
  yield* Effect.forkScoped(runOutboxRelay({ batchSize, pollInterval, maxPollInterval, lease }))
  yield* Effect.forkScoped(sweepEvery(sweep, pruneOutbox({ keep }), "outbox"))
}))
