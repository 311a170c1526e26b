import { Context, type Duration, Effect, Layer, Option, Queue } from "effect"

/**
 * How a service's writers wake its own outbox relay: after a statement that inserted outbox rows has committed, the
 * writer signals, and the relay of the same process starts a round at once instead of at its next poll.
 *
 * This replaces a NOTIFY sent by a trigger on the outbox. PostgreSQL serialises the commits of all transactions
 * that NOTIFY, on the whole server: each takes one lock before its commit record and holds it until the commit is
 * flushed, so such commits cannot share a WAL flush and queue behind each other's (the wait shows as `Lock`/`object`
 * in `pg_stat_activity`; it was the order database's most frequent wait under load). Each process relays the rows
 * it wrote; rows it could not (it died right after the commit) are found by another relay's poll (`OUTBOX_POLL`).
 *
 * Signals sent while a round runs fold into one: the next round claims every row committed before it starts.
 */
export class OutboxWakeUp extends Context.Service<OutboxWakeUp, {
  /** Tells the relay that rows were committed. Never waits. */
  readonly signal: Effect.Effect<void>
  /** Waits for a signal, at most `timeout`; a signal sent before the call counts. Whether one came. */
  readonly wait: (timeout: Duration.Duration) => Effect.Effect<boolean>
}>()("service-defaults/OutboxWakeUp") {
  /** One per process: the writers and the relay must share it. */
  static readonly layer = Layer.effect(
    OutboxWakeUp,
    Effect.map(Queue.dropping<void>(1), (queue) =>
      OutboxWakeUp.of({
        signal: Effect.sync(() => void Queue.offerUnsafe(queue, undefined)),
        wait: (timeout) => Queue.take(queue).pipe(Effect.timeoutOption(timeout), Effect.map(Option.isSome))
      }))
  )
}
