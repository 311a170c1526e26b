import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_notifications.ts"
import m0002 from "./0002_delivery_schedule.ts"
import m0003 from "./0003_inbox_retention.ts"
import m0004 from "./0004_contacts_and_traces.ts"

/** Versioned migrations of the notification database, in order. */
export const migrations: Migrations = {
  "0001_create_notifications": m0001,
  "0002_delivery_schedule": m0002,
  "0003_inbox_retention": m0003,
  "0004_contacts_and_traces": m0004
}
