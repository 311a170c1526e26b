import { Effect } from "effect"
import { Migrator } from "effect/sql"
import type { Migrations } from "../Database.ts"
import m0001 from "./migrations/0001_create_event_log.ts"
import m0002 from "./migrations/0002_event_log_notify_trigger.ts"

/** Versioned migrations of the PostgreSQL event log's database, in order. */
export const eventLogMigrations: Migrations = {
  "0001_create_event_log": m0001,
  "0002_event_log_notify_trigger": m0002
}

/**
 * Applies the event log's pending migrations. They are recorded in a table of their own, `event_log_migrations`, so
 * that the log can share a database with a service (tests do) without mixing its versions with the service's.
 * Producers and consumers all run this at start-up (the Migrator serializes them on a table lock), and so does
 * `npm run migrate`. A second process racing the first to create the bookkeeping table loses on the catalog once
 * and finds it on its next try.
 */
export const migrateEventLog = Migrator.make({})({
  loader: Migrator.fromRecord(eventLogMigrations),
  table: "event_log_migrations"
}).pipe(Effect.retry({ times: 2 }))
