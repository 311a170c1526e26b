import { Effect } from "effect"
import { SqlClient } from "effect/sql"

/** A dead letter as the redrive command lists it. */
export interface DeadLetter {
  readonly id: string
  readonly eventId: string
  readonly type: string
  readonly error: string
  readonly attempts: number
  readonly notificationId: string | null
}

/** Dead letters not yet redriven, oldest first. */
export const listDeadLetters = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<DeadLetter>`
    SELECT id::text AS id, event_id AS "eventId", type, error, attempts, notification_id AS "notificationId"
    FROM dead_letters WHERE redriven_at IS NULL ORDER BY id`
})

/**
 * Puts dead deliveries back in the queue: each notification becomes pending again with its attempts reset, and the
 * dead letter is stamped `redriven_at`, in one transaction. Dead letters of events that could not be decoded have no
 * delivery to retry: they are reported, not redriven. `ids` empty means all.
 */
export const redrive = (ids: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const letters = (yield* listDeadLetters).filter((l) => ids.length === 0 || ids.includes(l.id))
    const redriven: Array<DeadLetter> = []
    const skipped: Array<DeadLetter> = []
    for (const letter of letters) {
      if (letter.notificationId === null) {
        skipped.push(letter)
        continue
      }
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql`UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL
          WHERE id = ${letter.notificationId} AND status = 'dead'`
        yield* sql`UPDATE dead_letters SET redriven_at = now() WHERE id = ${letter.id}::bigint`
      }))
      redriven.push(letter)
    }
    return { redriven, skipped }
  })
