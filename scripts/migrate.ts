/**
 * `npm run migrate` (`make migrate-up`): applies every service's pending migrations and exits. Services also migrate
 * at start-up; this command is for deployments that migrate first. Targets POSTGRES_URL (one database per service,
 * created when missing), default postgres://postgres@127.0.0.1:5432.
 */
import { NodeRuntime } from "@effect/platform-node"
import { migrations as notification } from "@shop/notification/migrations/index"
import { migrations as order } from "@shop/order/migrations/index"
import { migrations as payment } from "@shop/payment/migrations/index"
import { migrations as product } from "@shop/product/migrations/index"
import { DatabaseLive } from "@shop/service-defaults/Database"
import { HealthChecks } from "@shop/service-defaults/HealthChecks"
import { LoggingLive } from "@shop/service-defaults/Observability"
import { Topology } from "@shop/service-defaults/Topology"
import { ConfigProvider, Effect, Layer } from "effect"

const server = (process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432").replace(/\/$/, "")
const all = { product, order, payment, notification }

Effect.forEach(Object.entries(all), ([name, migrations]) => {
  const database = Topology[name as keyof typeof all].database
  const url = `${server}/${database}`
  return Effect.logInfo(`migrated ${name}`, database).pipe(
    Effect.provide(
      DatabaseLive({ database, migrations }).pipe(
        Layer.provide(HealthChecks.layer),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ DATABASE_URL: url })))
      )
    )
  )
}, { discard: true }).pipe(Effect.provide(LoggingLive("migrate")), NodeRuntime.runMain)
