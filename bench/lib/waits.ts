/**
 * What the platform's PostgreSQL backends wait on during a run (`--waits`): `pg_stat_activity` sampled every 100 ms,
 * each active backend of the platform's databases counted once per sample under its database and wait event (`CPU`
 * when it waits on nothing). A popular row shows as `Lock`/`transactionid` and `Lock`/`tuple`, the server's one WAL
 * as `LWLock`/`WALWrite` and `IO`/`WALSync`, an idle client the database waits for as `Client`/`ClientRead`.
 * Embedded databases (PGlite) have no `pg_stat_activity` of this kind: the sampler then reports that it cannot.
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Fiber, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import type { Platform } from "./platform.ts"

export interface WaitSample {
  readonly database: string
  readonly wait: string
}

export interface Waits {
  /** Samples taken. */
  readonly samples: number
  /** Active backends seen, by database and wait event. */
  readonly counts: ReadonlyMap<string, number>
}

/** The names of the databases the platform's services and event log use, from their settings. */
export const platformDatabases = (platform: Platform): ReadonlyArray<string> => {
  const urls = [
    ...["order", "product", "payment", "notification"].map((service) => platform.setting(service, "DATABASE_URL")),
    platform.setting("order", "EVENT_LOG_URL")
  ]
  const names = urls.flatMap((url) => {
    if (url === undefined) return []
    try {
      const name = decodeURIComponent(new URL(url).pathname.slice(1))
      return name === "" ? [] : [name]
    } catch {
      return []
    }
  })
  return [...new Set(names)]
}

/** Adds one sample's rows to the counts. */
export const countSample = (counts: Map<string, number>, rows: ReadonlyArray<WaitSample>) => {
  for (const row of rows) {
    const key = `${row.database}\t${row.wait}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
}

/**
 * Starts sampling the platform's databases on the server of its product database; `stop` ends it and returns what
 * it saw. Undefined when the platform's databases are not on a PostgreSQL server this process can reach.
 */
export const startWaitSampler = async (platform: Platform, interval: Duration.Input = "100 millis") => {
  const url = platform.setting("product", "DATABASE_URL")
  const databases = platformDatabases(platform)
  if (url === undefined || databases.length === 0 || platform.mode !== "distributed") return undefined
  const counts = new Map<string, number>()
  let samples = 0
  const sample = Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<WaitSample>`
      SELECT datname AS database, coalesce(wait_event_type || '/' || wait_event, 'CPU') AS wait
      FROM pg_stat_activity
      WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        AND datname = ANY(${databases})`
  })
  const loop = Effect.gen(function*() {
    for (;;) {
      countSample(counts, yield* sample)
      samples++
      yield* Effect.sleep(interval)
    }
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1, applicationName: "bench-waits" })),
    Effect.orDie
  )
  const fiber = Effect.runFork(loop)
  return {
    stop: async (): Promise<Waits> => {
      await Effect.runPromise(Fiber.interrupt(fiber))
      return { samples, counts }
    }
  }
}

/** The most frequent waits, a line each: database, wait event, samples, and the share of the samples it was seen in. */
export const formatWaits = (waits: Waits, top = 15) => {
  const rows = [...waits.counts].toSorted((a, b) => b[1] - a[1]).slice(0, top)
  const header = `${"database".padEnd(28)} ${"wait".padEnd(28)} ${"seen".padStart(6)} ${"per sample".padStart(11)}`
  const lines = rows.map(([key, n]) => {
    const [database, wait] = key.split("\t")
    return `${database!.padEnd(28)} ${wait!.padEnd(28)} ${String(n).padStart(6)} ${
      (n / Math.max(waits.samples, 1)).toFixed(2).padStart(11)
    }`
  })
  return [
    `PostgreSQL backends of the platform by wait event, ${waits.samples} samples of pg_stat_activity (--waits)`,
    header,
    ...(lines.length > 0 ? lines : ["(no active backend seen)"])
  ].join("\n")
}
