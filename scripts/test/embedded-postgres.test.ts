import { PgClient } from "@effect/sql-pg"
import { freePort as freePortEffect } from "@shop/service-defaults/testing/FreePort"
import { Context, Effect, Layer, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"

/**
 * The embedded databases' process (`scripts/embedded-postgres.ts`) as the launcher runs it: several databases in one
 * process. Its own template folder, so that its initdb never races the other tests' launchers.
 */
const root = resolve(import.meta.dirname, "../..")
const scratch = mkdtempSync(join(tmpdir(), "shop-embedded-pg-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A free port below the ephemeral range (see FreePort.ts). */
const freePort = () => Effect.runPromise(freePortEffect)

interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

const run = (dataRoot: string, databases: Record<string, number>): Running => {
  const child = spawn(
    process.execPath,
    [join(root, "scripts/embedded-postgres.ts"), dataRoot, ...Object.entries(databases).map(([n, p]) => `${n}=${p}`)],
    { cwd: root, env: { ...process.env, EMBEDDED_PG_TEMPLATE_DIR: join(scratch, "template") } }
  )
  let output = ""
  child.stdout!.on("data", (chunk) => (output += chunk))
  child.stderr!.on("data", (chunk) => (output += chunk))
  return { child, output: () => output, exited: new Promise((done) => child.once("exit", done)) }
}

const until = async (running: Running, text: string, times: number, timeoutMs = 90_000) => {
  const deadline = Date.now() + timeoutMs
  while (running.output().split(text).length - 1 < times) {
    if (running.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no ${times} × "${text}":\n${running.output().slice(-3000)}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

const query = <A>(port: number, body: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Layer.build(PgClient.layer({ url: Redacted.make(`postgres://postgres@127.0.0.1:${port}/postgres`) })).pipe(
      Effect.flatMap((context) => body(Context.get(context, SqlClient.SqlClient))),
      Effect.scoped
    )
  )

describe("the embedded databases' process", () => {
  it("serves several databases at once, keeps them apart, and keeps their data across a stop", async () => {
    const dataRoot = join(scratch, "data")
    const ports = { alpha: await freePort(), beta: await freePort() }
    const first = run(dataRoot, ports)
    try {
      await until(first, "embedded PostgreSQL ready", 2)
      await until(first, "embedded PostgreSQL memory", 1)
      await query(ports.alpha, (sql) => sql`CREATE TABLE kept (id int PRIMARY KEY, who text)`)
      await query(ports.alpha, (sql) => sql`INSERT INTO kept VALUES (1, 'alpha')`)
      await query(ports.beta, (sql) => sql`CREATE TABLE kept (id int PRIMARY KEY, who text)`)
      await query(ports.beta, (sql) => sql`INSERT INTO kept VALUES (2, 'beta')`)
      // many statements at once on both
      await Promise.all([ports.alpha, ports.beta].map((port) =>
        query(port, (sql) =>
          Effect.forEach(
            Array.from({ length: 50 }, (_, i) => i),
            (i) => sql`SELECT ${i}::int AS i`,
            { concurrency: 8, discard: true }
          ))
      ))
    } finally {
      first.child.kill("SIGTERM")
    }
    // a stop (SIGTERM, as the launcher stops it) closes every database, then the process exits by itself (130: it
    // was interrupted), not killed by the signal; what it wrote is read back below
    expect(await first.exited).toBe(130)

    const second = run(dataRoot, ports)
    try {
      await until(second, "embedded PostgreSQL ready", 2)
      const alpha = await query(ports.alpha, (sql) => sql<{ id: number; who: string }>`SELECT id, who FROM kept`)
      const beta = await query(ports.beta, (sql) => sql<{ id: number; who: string }>`SELECT id, who FROM kept`)
      expect(alpha).toEqual([{ id: 1, who: "alpha" }])
      expect(beta).toEqual([{ id: 2, who: "beta" }])
    } finally {
      second.child.kill("SIGTERM")
      await second.exited
    }
  }, 180_000)

  it("fails as a whole when one database cannot start, so that the launcher starts it again", async () => {
    const dataRoot = join(scratch, "broken")
    // a database folder that says it holds a cluster and holds nothing else: PGlite cannot open it
    mkdirSync(join(dataRoot, "pg", "bad"), { recursive: true })
    writeFileSync(join(dataRoot, "pg", "bad", "PG_VERSION"), "17\n")
    const running = run(dataRoot, { good: await freePort(), bad: await freePort() })
    const code = await Promise.race([
      running.exited,
      new Promise<"hung">((done) => setTimeout(() => done("hung"), 90_000))
    ])
    if (code === "hung") running.child.kill("SIGKILL")
    expect(code).not.toBe("hung")
    expect(code).not.toBe(0)
  }, 120_000)
})
