import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { Data, Effect } from "effect"
import { mkdirSync } from "node:fs"

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
 * PGlite runs one query at a time. Its socket server interleaves the protocol messages of concurrent connections,
 * which breaks unnamed prepared statements, so clients must use a pool of one connection (`DATABASE_POOL_MAX=1`).
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
          return PGlite.create({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), extensions: { pg_trgm } })
        },
        catch: (cause) => new EmbeddedPostgresError({ cause })
      }),
      (db) => Effect.promise(() => db.close())
    )
    const host = options.host ?? "127.0.0.1"
    const server = new PGLiteSocketServer({ db, host, port: options.port ?? 0, maxConnections: 8 })
    yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => server.start(), catch: (cause) => new EmbeddedPostgresError({ cause }) }),
      () => Effect.promise(() => server.stop())
    )
    const port = Number(server.getServerConn().split(":").pop())
    return { port, url: `postgres://postgres@${host}:${port}/postgres` } satisfies EmbeddedPostgres
  })
