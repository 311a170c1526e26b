import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_orders.ts"
import m0002 from "./0002_create_sagas.ts"
import m0003 from "./0003_payment_status_of_domain.ts"
import m0004 from "./0004_order_contact.ts"
import m0005 from "./0005_outbox_notify_trigger.ts"
import m0006 from "./0006_order_requests.ts"
import m0007 from "./0007_orders_by_time.ts"
import m0008 from "./0008_outbox_lease.ts"
import m0009 from "./0009_outbox_wakes_in_process.ts"

/** Versioned migrations of the order database, in order. */
export const migrations: Migrations = {
  "0001_create_orders": m0001,
  "0002_create_sagas": m0002,
  "0003_payment_status_of_domain": m0003,
  "0004_order_contact": m0004,
  "0005_outbox_notify_trigger": m0005,
  "0006_order_requests": m0006,
  "0007_orders_by_time": m0007,
  "0008_outbox_lease": m0008,
  "0009_outbox_wakes_in_process": m0009
}
