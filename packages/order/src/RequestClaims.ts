import { type IdempotencyKey, ServiceUnavailable, type UserId } from "@shop/domain"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"

/**
 * How long a claim holds when its request never ends it: pricing an order takes a few peer calls, each bounded by
 * the call timeout, so a claim older than this was left by a process that died, and the next request may take it.
 */
export const claimLeaseSeconds = 30

/** What a request learns when it tries to claim a key. */
export type ClaimResult =
  | { readonly _tag: "Claimed"; readonly token: string }
  /** Another request holds the key; `fingerprint` is the digest of what that request asks for. */
  | { readonly _tag: "Held"; readonly fingerprint: string }

const unavailable = (error: { readonly message: string }) =>
  new ServiceUnavailable({ service: "order-database", detail: error.message })

/**
 * The idempotency keys of CreateOrder requests in flight, in the order database so that every replica of the order
 * service (behind every gateway) sees the same ones. A request claims its (user, key) before pricing the order and
 * gives the claim up when its order is stored (in the same transaction) or when it fails; a second request with the
 * key in between finds it held. Nothing is held in a transaction meanwhile: a claim is one row, written and deleted
 * by single statements.
 */
export class RequestClaims extends Context.Service<RequestClaims, {
  /** Claims the key, or tells who holds it; a claim past its lease is taken over. */
  readonly claim: (
    userId: UserId,
    key: IdempotencyKey,
    fingerprint: string
  ) => Effect.Effect<ClaimResult, ServiceUnavailable>
  /** Gives the claim up (nothing when it is no longer this request's). Runs in the caller's transaction, if any. */
  readonly release: (userId: UserId, key: IdempotencyKey, token: string) => Effect.Effect<void, ServiceUnavailable>
}>()("order/RequestClaims") {
  static readonly layer = Layer.effect(
    RequestClaims,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient

      const claim = Effect.fn("RequestClaims.claim")(
        function*(userId: UserId, key: IdempotencyKey, fingerprint: string) {
          const token = crypto.randomUUID()
          // One statement decides between concurrent requests: the unique key lets one insert (or take over an
          // abandoned claim), the others update nothing and read who holds it.
          const won = yield* sql<{ readonly claimed_by: string }>`
          INSERT INTO order_requests (user_id, idempotency_key, request_fingerprint, claimed_by, claimed_at)
          VALUES (${userId}, ${key}, ${fingerprint}, ${token}, now())
          ON CONFLICT (user_id, idempotency_key) DO UPDATE
            SET request_fingerprint = EXCLUDED.request_fingerprint, claimed_by = EXCLUDED.claimed_by,
              claimed_at = EXCLUDED.claimed_at
            WHERE order_requests.claimed_at < now() - make_interval(secs => ${claimLeaseSeconds})
          RETURNING claimed_by`
          if (won[0]?.claimed_by === token) return { _tag: "Claimed", token } satisfies ClaimResult
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

      const release = Effect.fn("RequestClaims.release")(function*(userId: UserId, key: IdempotencyKey, token: string) {
        yield* sql`DELETE FROM order_requests
          WHERE user_id = ${userId} AND idempotency_key = ${key} AND claimed_by = ${token}`
      }, Effect.mapError(unavailable))

      return RequestClaims.of({ claim, release })
    })
  )
}
