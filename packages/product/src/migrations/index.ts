import type { Migrations } from "@shop/service-defaults/Database"
import m0001 from "./0001_create_catalog.ts"

/** Versioned migrations of the product database, in order. */
export const migrations: Migrations = {
  "0001_create_catalog": m0001
}
