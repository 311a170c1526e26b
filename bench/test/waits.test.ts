import { PgClient } from "@effect/sql-pg"
import { Effect, Fiber, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { describe, expect, it } from "vitest"
import type { Platform } from "../lib/platform.ts"
import { countSample, formatWaits, platformDatabases, startWaitSampler } from "../lib/waits.ts"

// Real PostgreSQL: TEST_DATABASE_URL, and under CI=true the default local server, so that a missing one fails.
const databaseUrl = process.env.TEST_DATABASE_URL ??
  (process.env.CI === "true" ? "postgres://postgres@127.0.0.1:5432/postgres" : undefined)

const platformOn = (settings: Record<string, Record<string, string>>): Platform => ({
  launcherPid: undefined,
  processes: [],
  gateways: [],
  adminUrls: async () => [],
  setting: (service, variable) => settings[service]?.[variable],
  mode: "distributed"
})

describe("PostgreSQL wait sampling (--waits)", () => {
  it("names the platform's databases from its settings, counts samples and prints the most frequent first", () => {
    const platform = platformOn({
      order: { DATABASE_URL: "postgres://u@db:5432/shop_order", EVENT_LOG_URL: "postgres://u@db/shop_events" },
      product: { DATABASE_URL: "postgres://u@db:5432/shop_product" },
      payment: { DATABASE_URL: "not a url" }
    })
    expect(platformDatabases(platform)).toEqual(["shop_order", "shop_product", "shop_events"])

    const counts = new Map<string, number>()
    countSample(counts, [{ database: "shop_product", wait: "Lock/tuple" }, { database: "shop_order", wait: "CPU" }])
    countSample(counts, [{ database: "shop_product", wait: "Lock/tuple" }])
    const lines = formatWaits({ samples: 2, counts }).split("\n")
    expect(lines[0]).toContain("2 samples")
    expect(lines[2]).toMatch(/^shop_product\s+Lock\/tuple\s+2\s+1\.00$/)
    expect(lines[3]).toMatch(/^shop_order\s+CPU\s+1\s+0\.50$/)
  })

  it.skipIf(databaseUrl === undefined)(
    "sees a backend of the platform's database waiting on another's row lock, and no other database",
    async () => {
      const url = new URL(databaseUrl!)
      const database = decodeURIComponent(url.pathname.slice(1))
      const table = `bench_waits_${Date.now().toString(36)}`
      const platform = platformOn({ product: { DATABASE_URL: url.toString() } })
      const program = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE ${sql(table)} (id int PRIMARY KEY, n int NOT NULL)`
        yield* sql`INSERT INTO ${sql(table)} VALUES (1, 0)`
        const sampler = yield* Effect.promise(() => startWaitSampler(platform, "20 millis"))
        // One transaction holds the row for a second; another UPDATE of it waits meanwhile.
        const holder = yield* Effect.forkChild(
          Effect.andThen(sql`UPDATE ${sql(table)} SET n = n + 1 WHERE id = 1`, Effect.sleep("1 second")).pipe(
            sql.withTransaction
          )
        )
        yield* Effect.sleep("100 millis")
        const waiter = yield* Effect.forkChild(sql`UPDATE ${sql(table)} SET n = n + 1 WHERE id = 1`)
        yield* Fiber.join(holder)
        yield* Fiber.join(waiter)
        const waits = yield* Effect.promise(() => sampler!.stop())
        yield* sql`DROP TABLE ${sql(table)}`
        return waits
      }).pipe(
        Effect.provide(PgClient.layer({ url: Redacted.make(databaseUrl!), maxConnections: 3 })),
        Effect.orDie
      )
      const waits = await Effect.runPromise(program)
      expect(waits.samples).toBeGreaterThan(10)
      expect(waits.counts.get(`${database}\tLock/transactionid`) ?? 0).toBeGreaterThan(5)
      expect([...waits.counts.keys()].every((key) => key.startsWith(`${database}\t`))).toBe(true)
    },
    20_000
  )

  it("samples nothing for embedded databases", async () => {
    const platform = {
      ...platformOn({ product: { DATABASE_URL: "postgres://u@127.0.0.1:1/shop_product" } }),
      mode: "embedded" as const
    }
    expect(await startWaitSampler(platform)).toBeUndefined()
  })
})
