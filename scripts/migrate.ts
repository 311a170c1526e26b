/**
 * `npm run migrate` (`make migrate-up`): applies every service's pending migrations, and the PostgreSQL event log's,
 * and exits. Services also migrate at start-up; this command is for deployments that migrate first. Targets
 * POSTGRES_URL (one database per service, created when missing), default postgres://postgres@127.0.0.1:5432 (`make`
 * passes compose's credentials); the event log goes to EVENT_LOG_URL, default `shop_events` on that server.
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { migrations as notification } from "@shop/notification/migrations/index"
import { migrations as order } from "@shop/order/migrations/index"
import { migrations as payment } from "@shop/payment/migrations/index"
import { migrations as product } from "@shop/product/migrations/index"
import { DatabaseLive, ensureDatabase } from "@shop/service-defaults/Database"
import { migrateEventLog } from "@shop/service-defaults/events/EventLogMigrations"
import { HealthChecks } from "@shop/service-defaults/HealthChecks"
import { LoggingLive } from "@shop/service-defaults/Observability"
import { Topology } from "@shop/service-defaults/Topology"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { databaseName, databaseOn } from "./databases.ts"

const server = process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432"
const all = { product, order, payment, notification }

const redactedHost = (url: string) => url.replace(/\/\/[^@/]*@/, "//")

const services = Effect.forEach(Object.entries(all), ([name, migrations]) => {
  const database = Topology[name as keyof typeof all].database
  return Effect.logInfo(`migrated ${name}`, databaseName(database)).pipe(
    Effect.provide(
      DatabaseLive({ database, migrations }).pipe(
        Layer.provide(HealthChecks.layer),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: databaseOn(server, database) })))
      )
    )
  )
}, { discard: true })

const eventLogUrl = Redacted.make(process.env.EVENT_LOG_URL ?? databaseOn(server, "shop_events"))
const eventLog = Effect.gen(function*() {
  yield* ensureDatabase(eventLogUrl)
  const applied = yield* migrateEventLog.pipe(
    Effect.provide(PgClient.layer({ url: eventLogUrl, maxConnections: 1, applicationName: "migrate" }))
  )
  for (const [id, name] of applied) yield* Effect.logInfo("applied migration", `event_log ${id}_${name}`)
  yield* Effect.logInfo("migrated the event log", redactedHost(Redacted.value(eventLogUrl)))
})

Effect.andThen(services, eventLog).pipe(Effect.provide(LoggingLive("migrate")), NodeRuntime.runMain)
