import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_catalog.ts"
import m0002 from "./0002_reservation_details.ts"
import m0003 from "./0003_catalog_epoch.ts"
import m0004 from "./0004_unfolded_sales.ts"

/** Versioned migrations of the product database, in order. */
export const migrations: Migrations = {
  "0001_create_catalog": m0001,
  "0002_reservation_details": m0002,
  "0003_catalog_epoch": m0003,
  "0004_unfolded_sales": m0004
}
