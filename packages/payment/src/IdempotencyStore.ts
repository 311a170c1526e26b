import { IdempotencyKeyReused, RequestInProgress, ServiceUnavailable } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import { createHash } from "node:crypto"
import { PaymentConfig } from "./PaymentConfig.ts"

/** What `begin` found: the right to run the command, or the stored result of the first run. */
export type Claim =
  | { readonly _tag: "Acquired" }
  | { readonly _tag: "Completed"; readonly response: unknown }

/** sha256 of the JSON of a command's fields, in the order given: the request's identity. */
export const fingerprintOf = (fields: ReadonlyArray<unknown>): string =>
  createHash("sha256").update(JSON.stringify(fields)).digest("hex")

const unavailable = (error: SqlError.SqlError) =>
  new ServiceUnavailable({ service: "payment-database", detail: error.message })

/**
 * A request's claim of its key, as data: see `PaymentRepo.insertClaimed`, which makes it in the statement that
 * inserts the payment.
 */
export interface KeyClaim {
  readonly caller: string
  readonly key: string
  readonly fingerprint: string
  /** How long the claim holds the key before a request with the same fingerprint may take it over. */
  readonly lockSeconds: number
}

/** A claim's insert on a key already recorded: it takes over an expired claim with the same fingerprint only. */
const orTakeOverExpired = (sql: SqlClient.SqlClient) =>
  sql`ON CONFLICT (caller, key) DO UPDATE SET locked_until = EXCLUDED.locked_until
    WHERE idempotency_records.state = 'in_flight' AND idempotency_records.locked_until < now()
      AND idempotency_records.fingerprint = EXCLUDED.fingerprint`

/** Inserts a fresh claim, or takes over an expired one with the same fingerprint: a row when the key was won. */
export const claimKey = (sql: SqlClient.SqlClient, { caller, fingerprint, key, lockSeconds }: KeyClaim) =>
  sql<{ caller: string }>`
    INSERT INTO idempotency_records (caller, key, fingerprint, state, locked_until)
    VALUES (${caller}, ${key}, ${fingerprint}, 'in_flight', now() + make_interval(secs => ${lockSeconds}))
    ${orTakeOverExpired(sql)}
    RETURNING caller`

/**
 * The claims of a statement's rows, as one of its CTEs: each row of `input` (`caller`, `key`, `fingerprint`,
 * `lock_seconds`) claims its key as {@link claimKey} does; returns the `caller` and `key` of the keys won. No two
 * rows may name the same key (a row cannot be claimed twice by one statement).
 */
export const claimKeysOf = (sql: SqlClient.SqlClient, input: string) =>
  sql`INSERT INTO idempotency_records (caller, key, fingerprint, state, locked_until)
    SELECT i.caller, i.key, i.fingerprint, 'in_flight', now() + make_interval(secs => i.lock_seconds)
    FROM ${sql(input)} i
    ${orTakeOverExpired(sql)}
    RETURNING caller, key`

/** The result of a command to store under its key: see `PaymentRepo.settle`, which stores it with the payment. */
export interface KeyResult {
  readonly caller: string
  readonly key: string
  readonly response: unknown
}

/** Stores a command's result under its key: the statement of {@link IdempotencyStore}'s `complete`. */
export const completeKey = (sql: SqlClient.SqlClient, { caller, key, response }: KeyResult) =>
  sql`UPDATE idempotency_records SET state = 'completed', response = ${JSON.stringify(response)}::jsonb,
      locked_until = NULL, completed_at = now()
    WHERE caller = ${caller} AND key = ${key}`

/**
 * The completion of the keys of a statement's rows, as one of its CTEs: the rows of `input` that name a key (a
 * `caller` other than '') store their `response` (JSON text) under it, as {@link IdempotencyStore}'s `complete`.
 */
export const completeKeysOf = (sql: SqlClient.SqlClient, input: string) =>
  sql`UPDATE idempotency_records r SET state = 'completed', response = i.response::jsonb, locked_until = NULL,
      completed_at = now()
    FROM ${sql(input)} i WHERE i.caller <> '' AND r.caller = i.caller AND r.key = i.key`

/**
 * Idempotency records keyed by (caller, key) in PostgreSQL. The first request claims the key with a lock that
 * expires (`locked_until`), so a crashed holder never blocks the key for good; a repeat with the same fingerprint
 * gets the stored result, or RequestInProgress while the first still runs; another fingerprint is
 * IdempotencyKeyReused.
 */
export class IdempotencyStore extends Context.Service<IdempotencyStore, {
  readonly begin: (
    caller: string,
    key: string,
    fingerprint: string
  ) => Effect.Effect<Claim, IdempotencyKeyReused | RequestInProgress | ServiceUnavailable>
  /**
   * The claim of {@link begin} as data, for the command's first write to make in its own statement (see
   * `PaymentRepo.insertClaimed`). A key it does not win is for `begin` to tell apart.
   */
  readonly claimOf: (caller: string, key: string, fingerprint: string) => KeyClaim
  readonly complete: (caller: string, key: string, response: unknown) => Effect.Effect<void, ServiceUnavailable>
  /** Forgets an in-flight claim whose command did nothing lasting, so the caller may try again at once. */
  readonly release: (caller: string, key: string) => Effect.Effect<void, ServiceUnavailable>
}>()("payment/IdempotencyStore") {
  static readonly layer = Layer.effect(
    IdempotencyStore,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const lockSeconds = Duration.toMillis((yield* PaymentConfig).idempotencyLock) / 1000

      const claimOf = (caller: string, key: string, fingerprint: string): KeyClaim => ({
        caller,
        key,
        fingerprint,
        lockSeconds
      })

      const begin = traced("IdempotencyStore.begin")(function*(caller: string, key: string, fingerprint: string) {
        // A claim released between our INSERT and SELECT leaves no row: claim again (bounded).
        for (let round = 0; round < 3; round++) {
          if ((yield* claimKey(sql, claimOf(caller, key, fingerprint))).length > 0) return { _tag: "Acquired" } as Claim
          const [row] = yield* sql<{ fingerprint: string; state: string; response: unknown }>`
              SELECT fingerprint, state, response FROM idempotency_records WHERE caller = ${caller} AND key = ${key}`
          if (row === undefined) continue
          if (row.fingerprint !== fingerprint) return yield* new IdempotencyKeyReused({ key })
          if (row.state === "in_flight") return yield* new RequestInProgress({ key })
          const response = typeof row.response === "string" ? JSON.parse(row.response) : row.response
          return { _tag: "Completed", response } as Claim
        }
        return yield* new RequestInProgress({ key })
      }, Effect.catchTag("SqlError", (error) => Effect.fail(unavailable(error))))

      return IdempotencyStore.of({
        begin,
        claimOf,
        complete: (caller, key, response) =>
          completeKey(sql, { caller, key, response }).pipe(Effect.asVoid, Effect.mapError(unavailable)),
        release: (caller, key) =>
          sql`DELETE FROM idempotency_records WHERE caller = ${caller} AND key = ${key} AND state = 'in_flight'`.pipe(
            Effect.asVoid,
            Effect.mapError(unavailable)
          )
      })
    })
  )
}
