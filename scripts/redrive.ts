/**
 * `npm run redrive [-- <dead letter id>...]`: sends dead notifications again. Without ids, every dead letter not yet
 * redriven; `--list` only lists them. Reads DATABASE_URL (default: the notification database on 127.0.0.1:5432); the
 * running notification service picks the deliveries up on its next pass.
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { listDeadLetters, redrive } from "@shop/notification/DeadLetters"
import { DatabaseUrl } from "@shop/service-defaults/Database"
import { Topology } from "@shop/service-defaults/Topology"
import { Effect, Layer } from "effect"

const args = process.argv.slice(2)

const program = Effect.gen(function*() {
  if (args.includes("--list")) {
    const letters = yield* listDeadLetters
    for (const l of letters) console.log(`${l.id}\t${l.type}\t${l.eventId}\tattempts=${l.attempts}\t${l.error}`)
    console.log(`${letters.length} dead letter(s)`)
    return
  }
  const { redriven, skipped } = yield* redrive(args.filter((a) => !a.startsWith("--")))
  for (const l of redriven) console.log(`redriven ${l.id} (${l.type}, notification ${l.notificationId})`)
  for (const l of skipped) console.log(`skipped ${l.id} (${l.type}): an undecodable event has no delivery to retry`)
  console.log(`${redriven.length} redriven, ${skipped.length} skipped`)
})

const Database = Layer.unwrap(Effect.gen(function*() {
  const url = yield* DatabaseUrl(Topology.notification.database)
  return PgClient.layer({ url, maxConnections: 1 })
}))

program.pipe(Effect.provide(Database), NodeRuntime.runMain)
