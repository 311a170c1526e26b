import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_payments.ts"

/** Versioned migrations of the payment database, in order. */
export const migrations: Migrations = {
  "0001_create_payments": m0001
}
