import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_orders.ts"

/** Versioned migrations of the order database, in order. */
export const migrations: Migrations = {
  "0001_create_orders": m0001
}
