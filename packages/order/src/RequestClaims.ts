import { type IdempotencyKey, ServiceUnavailable, type UserId } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient, type Statement } from "effect/sql"

/**
 * How long a claim holds when its request never ends it: reserving and pricing an order take a few peer calls, each
 * bounded by the call timeout, so a claim older than this was left by a process that died, and the next request may
 * take it.
 */
export const claimLeaseSeconds = 30

/** What a request learns when it tries to claim a key. */
export type ClaimResult =
  | { readonly _tag: "Claimed"; readonly token: string }
  /** The key's order is stored already: nothing was claimed, the request is a replay (or reuses the key). */
  | { readonly _tag: "Placed" }
  /** Another request holds the key; `fingerprint` is the digest of what that request asks for. */
  | { readonly _tag: "Held"; readonly fingerprint: string }

const unavailable = (error: { readonly message: string }) =>
  new ServiceUnavailable({ service: "order-database", detail: error.message })

/**
 * The idempotency keys of CreateOrder requests in flight, in the order database so that every replica of the order
 * service (behind every gateway) sees the same ones. A request claims its (user, key) before reserving and pricing the
 * order and gives the claim up when its order is stored (in the same statement) or when it fails; a second request
 * with the key in between finds it held. Nothing is held in a transaction meanwhile: a claim is one row, written and
 * deleted by single statements.
 */
export class RequestClaims extends Context.Service<RequestClaims, {
  /**
   * Claims the key unless its order is stored already (one statement, so that a new order pays one round trip for
   * both questions), or tells who holds it; a claim past its lease is taken over.
   */
  readonly claim: (
    userId: UserId,
    key: IdempotencyKey,
    fingerprint: string
  ) => Effect.Effect<ClaimResult, ServiceUnavailable>
  /** Gives the claim up (nothing when it is no longer this request's). */
  readonly release: (userId: UserId, key: IdempotencyKey, token: string) => Effect.Effect<void, ServiceUnavailable>
  /** {@link release} as a statement, to give the claim up in the statement that stores the key's order. */
  readonly releaseStatement: (userId: UserId, key: IdempotencyKey, token: string) => Statement.Statement<never>
}>()("order/RequestClaims") {
  static readonly layer = Layer.effect(
    RequestClaims,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const claim = traced("RequestClaims.claim")(
        function*(userId: UserId, key: IdempotencyKey, fingerprint: string) {
          const token = crypto.randomUUID()
          // One statement decides between concurrent requests: the unique key lets one insert (or take over an
          // abandoned claim), the others update nothing and read who holds it. A key whose order is stored is not
          // claimed at all. (An order stored after this statement's snapshot is still caught: its request released
          // the claim in the same transaction, and the insert of the order that this claim leads to conflicts.)
          const [won] = yield* sql<{ readonly claimed_by: string | null; readonly placed: boolean }>`
          WITH placed AS (SELECT 1 FROM orders WHERE user_id = ${userId} AND idempotency_key = ${key}),
          claimed AS (
            INSERT INTO order_requests (user_id, idempotency_key, request_fingerprint, claimed_by, claimed_at)
            SELECT ${userId}, ${key}, ${fingerprint}, ${token}, now() WHERE NOT EXISTS (SELECT 1 FROM placed)
            ON CONFLICT (user_id, idempotency_key) DO UPDATE
              SET request_fingerprint = EXCLUDED.request_fingerprint, claimed_by = EXCLUDED.claimed_by,
                claimed_at = EXCLUDED.claimed_at
              WHERE order_requests.claimed_at < now() - make_interval(secs => ${claimLeaseSeconds})
            RETURNING claimed_by
          )
          SELECT (SELECT claimed_by FROM claimed) AS claimed_by, EXISTS (SELECT 1 FROM placed) AS placed`
          if (won?.claimed_by === token) return { _tag: "Claimed", token } satisfies ClaimResult
          if (won?.placed === true) return { _tag: "Placed" } satisfies ClaimResult
          const [holder] = yield* sql<{ readonly request_fingerprint: string }>`
          SELECT request_fingerprint FROM order_requests WHERE user_id = ${userId} AND idempotency_key = ${key}`
          // Released between the two statements: the holder is done, so the caller looks for its order again.
          return Option.match(Option.fromNullishOr(holder), {
            onNone: () => ({ _tag: "Held", fingerprint: "" }) satisfies ClaimResult,
            onSome: (row) => ({ _tag: "Held", fingerprint: row.request_fingerprint }) satisfies ClaimResult
          })
        },
        Effect.mapError(unavailable)
      )

      const releaseStatement = (userId: UserId, key: IdempotencyKey, token: string) =>
        sql<never>`DELETE FROM order_requests
          WHERE user_id = ${userId} AND idempotency_key = ${key} AND claimed_by = ${token}`

      const release = traced("RequestClaims.release")(function*(userId: UserId, key: IdempotencyKey, token: string) {
        yield* releaseStatement(userId, key, token)
      }, Effect.mapError(unavailable))

      return RequestClaims.of({ claim, release, releaseStatement })
    })
  )
}
