/**
 * Database names on a PostgreSQL server shared by the services (distributed mode): the service's name from
 * Topology.ts plus `DATABASE_NAME_SUFFIX`, so that a second platform (a test run, a colleague's) can use the same
 * server without touching the first's data. Used by `npm start`, `npm run migrate` and `npm run seed`.
 */
const suffix = process.env.DATABASE_NAME_SUFFIX ?? ""
if (!/^[a-z0-9_]*$/.test(suffix)) {
  throw new Error(`DATABASE_NAME_SUFFIX must be lower-case letters, digits and underscores, not ${suffix}`)
}

/** The name of `database` (e.g. `shop_product`) with the suffix. */
export const databaseName = (database: string) => `${database}${suffix}`

/** The URL of `database` (with the suffix) on the server `serverUrl` points at, whatever database that URL names. */
export const databaseOn = (serverUrl: string, database: string) => {
  const url = new URL(serverUrl)
  url.pathname = `/${databaseName(database)}`
  return url.toString()
}
