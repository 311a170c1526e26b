import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_payments.ts"
import m0002 from "./0002_create_refunds.ts"
import m0003 from "./0003_settle_by_the_processor.ts"

/** Versioned migrations of the payment database, in order. */
export const migrations: Migrations = {
  "0001_create_payments": m0001,
  "0002_create_refunds": m0002,
  "0003_settle_by_the_processor": m0003
}
