import { Conflict, NotFound } from "@shop/domain"
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
  readonly createdAt: Date
}

/** Dead letters not yet redriven, oldest first. */
export const listDeadLetters = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<DeadLetter>`
    SELECT id::text AS id, event_id AS "eventId", type, error, attempts, notification_id AS "notificationId",
      created_at AS "createdAt"
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

/**
 * Redrives one dead letter, as an operator asks for it by id: NotFound when there is no such dead letter, Conflict
 * when it was redriven already or stands for an undecodable event (there is no delivery to retry).
 */
export const redriveOne = (id: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [found] = yield* sql<{ readonly redriven: boolean }>`
      SELECT redriven_at IS NOT NULL AS redriven FROM dead_letters WHERE id = ${id}::bigint`
    if (found === undefined) return yield* new NotFound({ entity: "dead letter", id })
    if (found.redriven) return yield* new Conflict({ detail: `dead letter ${id} was redriven already` })
    const { redriven, skipped } = yield* redrive([id])
    const [letter] = redriven
    if (letter !== undefined) return letter
    return yield* new Conflict({
      detail: skipped.length > 0
        ? `dead letter ${id} is an event that could not be decoded: there is no delivery to retry`
        : `dead letter ${id} was redriven meanwhile`
    })
  })
