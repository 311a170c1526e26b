import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { randomBytes } from "node:crypto"
import { createClient } from "redis"

/**
 * A platform run on the machine's shared PostgreSQL and Redis: its databases get names of their own
 * (`DATABASE_NAME_SUFFIX`) and its Redis keys a prefix of their own (`REDIS_KEY_PREFIX`), so nothing else on the
 * servers is read, flushed or dropped, and `dropRunData` removes exactly what the run created.
 */
export interface SharedServersRun {
  readonly postgresUrl: string
  readonly redisUrl: string
  readonly databaseSuffix: string
  readonly redisKeyPrefix: string
}

/** A fresh run on the given servers, named `label` plus a random tag (lower-case letters, digits, underscores). */
export const sharedServersRun = (label: string, postgresUrl: string, redisUrl: string): SharedServersRun => {
  const tag = randomBytes(4).toString("hex")
  return {
    postgresUrl,
    redisUrl,
    databaseSuffix: `_${label}_${tag}`,
    redisKeyPrefix: `${label}:${tag}:`
  }
}

/** The launcher's settings that take a platform to the run's databases and keys. */
export const sharedServersEnv = (run: SharedServersRun) => ({
  POSTGRES_URL: run.postgresUrl,
  REDIS_URL: run.redisUrl,
  DATABASE_NAME_SUFFIX: run.databaseSuffix,
  REDIS_KEY_PREFIX: run.redisKeyPrefix
})

/** The Redis keys of the run that are still there. */
export const runRedisKeys = (run: Pick<SharedServersRun, "redisUrl" | "redisKeyPrefix">) =>
  Effect.promise(async () => {
    const redis = await createClient({ url: run.redisUrl }).connect()
    const found: Array<string> = []
    for await (const keys of redis.scanIterator({ MATCH: `${run.redisKeyPrefix}*`, COUNT: 500 })) found.push(...keys)
    await redis.close()
    return found
  })

/** Drops the run's databases and deletes its Redis keys: exactly what the run created, nothing else. */
export const dropRunData = (run: SharedServersRun) =>
  Effect.gen(function*() {
    yield* Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const databases = yield* sql<{ name: string }>`SELECT datname AS name FROM pg_database
        WHERE datname LIKE ${`shop\\_%${run.databaseSuffix}`}`
      for (const { name } of databases) {
        if (name.endsWith(run.databaseSuffix)) yield* sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      }
    }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(run.postgresUrl), maxConnections: 1 })), Effect.orDie)
    yield* Effect.promise(async () => {
      const redis = await createClient({ url: run.redisUrl }).connect()
      for await (const keys of redis.scanIterator({ MATCH: `${run.redisKeyPrefix}*`, COUNT: 500 })) {
        if (keys.length > 0) await redis.del(keys)
      }
      await redis.close()
    })
  })
