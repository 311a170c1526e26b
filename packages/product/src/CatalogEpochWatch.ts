import { Effect, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { CacheVersions } from "./CacheVersions.ts"
import { ProductConfig } from "./ProductConfig.ts"

/**
 * The statement a writer outside the service runs after changing products (the seed does): it moves the catalog
 * epoch, and every running product service drops everything it cached within `CATALOG_EPOCH_POLL`.
 */
export const moveCatalogEpoch = SqlClient.SqlClient.use((sql) =>
  sql`UPDATE catalog_epoch SET epoch = epoch + 1, changed_at = now()`
)

/**
 * Watches `catalog_epoch` every `catalogEpochPoll` (one primary-key read) and, when it moved, replaces the cache's
 * epoch: every cached product and page is then a miss, in Redis for every replica and in an embedded process's
 * memory alike. The service's own writes never need it: they move their versions themselves.
 */
export const CatalogEpochWatchLive = Layer.effectDiscard(Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const versions = yield* CacheVersions
  const { catalogEpochPoll } = yield* ProductConfig
  const read = Effect.map(
    sql<{ epoch: string }>`SELECT epoch::text AS epoch FROM catalog_epoch`,
    (rows) => rows[0]?.epoch
  )
  let seen = yield* read.pipe(Effect.orElseSucceed(() => undefined))
  const check = Effect.gen(function*() {
    const epoch = yield* read
    if (epoch === seen) return
    seen = epoch
    yield* versions.invalidateAll
    yield* Effect.logInfo("catalog changed outside the service: cached products and pages dropped", { epoch })
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning("catalog epoch check failed; retrying next interval", cause))
  )
  yield* Effect.forkScoped(Effect.repeat(check, Schedule.spaced(catalogEpochPoll)))
}))
