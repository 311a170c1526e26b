/**
 * Serves one embedded PostgreSQL (PGlite) database over the wire protocol until SIGINT/SIGTERM.
 * Usage: node scripts/embedded-postgres.ts <data-dir> <port>
 */
import { NodeRuntime } from "@effect/platform-node"
import { startEmbeddedPostgres } from "@shop/service-defaults/EmbeddedPostgres"
import { ObservabilityLive } from "@shop/service-defaults/Observability"
import { Effect } from "effect"

const [dataDir, port] = process.argv.slice(2)
if (dataDir === undefined || port === undefined) {
  console.error("usage: embedded-postgres.ts <data-dir> <port>")
  process.exit(2)
}

Effect.gen(function*() {
  const pg = yield* startEmbeddedPostgres({ dataDir, port: Number(port) })
  yield* Effect.logInfo("embedded PostgreSQL ready", pg.url, dataDir)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(ObservabilityLive(`postgres-${process.env.EMBEDDED_PG_NAME ?? port}`)),
  NodeRuntime.runMain
)
