import type { SqlClient, Statement } from "effect/sql"

/**
 * Several writes as one statement: every statement but the last becomes a data-modifying `WITH` of the last. They
 * see one snapshot and commit or fail together, as in a transaction, in one round trip instead of one each plus
 * BEGIN and COMMIT. Foreign keys are checked at the end of the statement, so the order of the writes does not matter;
 * none of them may read what another writes (they run on the same snapshot).
 */
export const oneStatement = (
  sql: SqlClient.SqlClient,
  statements: readonly [Statement.Fragment, ...ReadonlyArray<Statement.Fragment>]
): Statement.Statement<never> => {
  const last = statements[statements.length - 1]!
  const withs = statements.slice(0, -1)
  if (withs.length === 0) return sql<never>`${last}`
  const ctes = withs.map((statement, i) => sql`${sql.literal(`w${i}`)} AS (${statement})`)
  return sql<never>`WITH ${sql.join(", ", false)(ctes)} ${last}`
}
