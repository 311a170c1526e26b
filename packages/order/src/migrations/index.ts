import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_orders.ts"
import m0002 from "./0002_create_sagas.ts"

/** Versioned migrations of the order database, in order. */
export const migrations: Migrations = {
  "0001_create_orders": m0001,
  "0002_create_sagas": m0002
}
