import { PGlite } from "@electric-sql/pglite"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { Data, Effect } from "effect"
import { mkdirSync } from "node:fs"
import { startSessionServer } from "./embedded/SessionServer.ts"

export class EmbeddedPostgresError extends Data.TaggedError("EmbeddedPostgresError")<{ readonly cause: unknown }> {}

/** A running embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) behind the PostgreSQL wire protocol. */
export interface EmbeddedPostgres {
  readonly port: number
  readonly url: string
}

/**
 * Starts PGlite on `dataDir` (in memory when undefined) and serves it on `host:port` (0 picks a free port) over the
 * PostgreSQL wire protocol, so services reach it with the same `@effect/sql-pg` client as a real server. The server
 * is stopped and the database closed when the scope closes.
 *
 * PGlite is one session: clients take turns, a whole exchange or transaction at a time (see `SessionServer`). A
 * service keeps a pool of one connection to it (`DATABASE_POOL_MAX=1`), since a second connection of the same
 * process would only wait for the first.
 */
export const startEmbeddedPostgres = (options: {
  readonly dataDir: string | undefined
  readonly host?: string
  readonly port?: number
}) =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => {
          if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
          return PGlite.create({
            ...(options.dataDir ? { dataDir: options.dataDir } : {}),
            extensions: { pg_trgm }
          })
        },
        catch: (cause) => new EmbeddedPostgresError({ cause })
      }),
      (db) => Effect.promise(() => db.close())
    )
    const host = options.host ?? "127.0.0.1"
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startSessionServer({ db, host, port: options.port ?? 0 }),
        catch: (cause) => new EmbeddedPostgresError({ cause })
      }),
      (server) => Effect.promise(() => server.stop())
    )
    return { port: server.port, url: `postgres://postgres@${host}:${server.port}/postgres` } satisfies EmbeddedPostgres
  })
