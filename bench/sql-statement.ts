/**
 * What one PostgreSQL statement costs the platform's driver stack (@effect/sql-pg under Effect), in CPU of the
 * calling process: a round trip of `SELECT $1::int` one at a time, with 16 in flight, and inside a transaction of its
 * own (BEGIN, the statement, COMMIT). The order path's cost is mostly such round trips (see README, The order path).
 *
 *   npm run bench:sql -- [--url postgres://postgres@127.0.0.1:5432/postgres] [--statements 5000]
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { loadavg } from "node:os"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "postgres://postgres@127.0.0.1:5432/postgres" },
    statements: { type: "string", default: "5000" }
  }
})
const n = Number(values.statements)
if (!Number.isInteger(n) || n < 100) throw new Error("--statements must be a whole number of at least 100")
if (!/^postgres(ql)?:\/\/[^/]*(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(values.url)) {
  throw new Error("--url must name a server on loopback")
}

/** CPU (user + system) of this process per statement while `run` runs, and statements per second. */
const measure = <E>(label: string, run: Effect.Effect<unknown, E>) =>
  Effect.gen(function*() {
    const cpu = process.cpuUsage()
    const started = performance.now()
    yield* run
    const used = process.cpuUsage(cpu)
    const seconds = (performance.now() - started) / 1000
    console.log(
      `${label.padEnd(34)} ${((used.user + used.system) / n).toFixed(1).padStart(7)} us CPU per statement` +
        ` (user ${(used.user / n).toFixed(1)}, system ${(used.system / n).toFixed(1)}), ${
          Math.round(n / seconds)
        } per second`
    )
  })

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const indexes = Array.from({ length: n }, (_, i) => i)
  yield* Effect.forEach(indexes.slice(0, 500), (i) => sql`SELECT ${i}::int AS x`, { discard: true }) // warm-up
  console.log(`${n} statements each, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`)
  yield* measure("one at a time", Effect.forEach(indexes, (i) => sql`SELECT ${i}::int AS x`, { discard: true }))
  yield* measure(
    "16 in flight",
    Effect.forEach(indexes, (i) => sql`SELECT ${i}::int AS x`, { concurrency: 16, discard: true })
  )
  yield* measure(
    "in a transaction of its own",
    Effect.forEach(indexes, (i) => sql.withTransaction(sql`SELECT ${i}::int AS x`), { discard: true })
  )
})

await program.pipe(
  Effect.provide(PgClient.layer({ url: Redacted.make(values.url), maxConnections: 16 })),
  Effect.runPromise
)
