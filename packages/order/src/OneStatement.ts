import type { SqlClient, Statement } from "effect/sql"

/** `w0 AS (...)`, `w1 AS (...)`: each statement as a `WITH` of its own name. */
const withClauses = (sql: SqlClient.SqlClient, statements: ReadonlyArray<Statement.Fragment>) =>
  statements.map((statement, i) => sql`${sql.literal(`w${i}`)} AS (${statement})`)

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
  return sql<never>`WITH ${sql.join(", ", false)(withClauses(sql, withs))} ${last}`
}

/** The condition under which the writes of a {@link guardedStatement} write: its guard matched a row. */
export const guardMatched = (sql: SqlClient.SqlClient): Statement.Fragment => sql`EXISTS (SELECT 1 FROM guard)`

/**
 * Writes that depend on a guard, as one statement: `guard` (an UPDATE ... RETURNING of the rows it matched) is the
 * `WITH` named `guard`, and each of `writes` another `WITH` that writes only where {@link guardMatched} (reading the
 * guard's output, so it sees what the guard did). Answers how many rows the guard matched: 0, nothing was written.
 */
export const guardedStatement = (
  sql: SqlClient.SqlClient,
  guard: Statement.Fragment,
  writes: ReadonlyArray<Statement.Fragment>
): Statement.Statement<{ readonly matched: number }> =>
  sql`WITH ${sql.join(", ", false)([sql`guard AS (${guard})`, ...withClauses(sql, writes)])}
    SELECT count(*)::int AS matched FROM guard`
