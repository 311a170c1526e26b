import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import * as PgEventLog from "../../src/events/PgEventLog.ts"
import { acquireTestDatabase } from "../../testing/TestDatabase.ts"
import { eventBusContract } from "./EventBusContract.ts"

const EventLogLive = Layer.unwrap(
  Effect.map(
    acquireTestDatabase("event_log"),
    ({ maxConnections, url }) =>
      PgEventLog.layerNoDeps({ pollInterval: "100 millis", leaseDuration: "3 seconds", listen: maxConnections > 1 })
        .pipe(
          Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections }))
        )
  )
)

eventBusContract("PostgreSQL event log", EventLogLive)
