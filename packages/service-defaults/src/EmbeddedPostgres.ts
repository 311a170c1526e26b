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
 * PGlite's own start parameters, plus a smaller memory budget. PostgreSQL's default `shared_buffers` (128 MB) is
 * touched as soon as the server starts, so every embedded database would cost that much memory before holding any
 * data; a development database of a few thousand rows is served from 16 MB (and from the operating system's file
 * cache beneath it).
 */
export const embeddedStartParams = (sharedBuffers = "16MB") => [
  "--single",
  "-F",
  "-O",
  "-j",
  "-c",
  "search_path=public",
  "-c",
  "exit_on_error=false",
  "-c",
  "log_checkpoints=false",
  "-c",
  "max_worker_processes=0",
  "-c",
  "max_parallel_workers=0",
  "-c",
  "max_parallel_workers_per_gather=0",
  "-c",
  "io_method=sync",
  "-c",
  "max_parallel_maintenance_workers=0",
  "-c",
  `shared_buffers=${sharedBuffers}`,
  "-c",
  "wal_buffers=1MB",
  "-c",
  "maintenance_work_mem=16MB"
]

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
  readonly sharedBuffers?: string
}) =>
  Effect.gen(function*() {
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => {
          if (options.dataDir) mkdirSync(options.dataDir, { recursive: true })
          return PGlite.create({
            ...(options.dataDir ? { dataDir: options.dataDir } : {}),
            extensions: { pg_trgm },
            startParams: embeddedStartParams(options.sharedBuffers)
          })
        },
        catch: (cause) => new EmbeddedPostgresError({ cause })
      }),
      (opened) => Effect.promise(() => opened.close())
    )
    const host = options.host ?? "127.0.0.1"
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => startSessionServer({ db, host, port: options.port ?? 0 }),
        catch: (cause) => new EmbeddedPostgresError({ cause })
      }),
      (running) => Effect.promise(() => running.stop())
    )
    return { port: server.port, url: `postgres://postgres@${host}:${server.port}/postgres` } satisfies EmbeddedPostgres
  })
