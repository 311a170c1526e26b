/**
 * `npm run refunds [-- --list | --retry <refund id>... | --retry-all]`: the operator's view of parked refunds, the
 * refunds the card processor kept refusing (after REFUND_MAX_ATTEMPTS) and that wait for a person. `--list` (the
 * default) shows each with its payment, amount, attempts and the processor's last answer; `--retry` sends the named
 * ones again (the running payment service picks them up on its next reconciliation pass, within
 * RECONCILE_INTERVAL); `--retry-all` sends every parked refund again.
 *
 * Reads DATABASE_URL; the default is the embedded payment database of `npm start`
 * (postgres://postgres@127.0.0.1:54333/postgres: EMBEDDED_PG_PORT_BASE 54330 + 3).
 */
import { NodeRuntime } from "@effect/platform-node"
import { PgClient } from "@effect/sql-pg"
import { RefundId } from "@shop/payment/PaymentRecord"
import { RefundRepo } from "@shop/payment/RefundRepo"
import { Effect, Layer, Redacted } from "effect"

const args = process.argv.slice(2)
const databaseUrl = process.env.DATABASE_URL ??
  `postgres://postgres@127.0.0.1:${Number(process.env.EMBEDDED_PG_PORT_BASE ?? 54330) + 3}/postgres`

const program = Effect.gen(function*() {
  const refunds = yield* RefundRepo
  const parked = yield* refunds.parkedRefunds
  const retryAll = args.includes("--retry-all")
  const named = args.filter((arg) => !arg.startsWith("--"))
  if (!retryAll && (args.length === 0 || args.includes("--list"))) {
    for (const r of parked) {
      console.log(
        `${r.id}\tpayment=${r.paymentId}\tamount=${r.amountCents}\tattempts=${r.attempts}\t${r.lastError ?? ""}`
      )
    }
    console.log(`${parked.length} parked refund(s)`)
    return
  }
  const ids = retryAll ? parked.map((r) => r.id) : named.map((id) => RefundId.make(id))
  let retried = 0
  for (const id of ids) {
    if (yield* refunds.unparkRefund(id)) {
      retried++
      console.log(`sent again: ${id}`)
    } else {
      console.log(`not parked, left alone: ${id}`)
    }
  }
  console.log(`${retried} refund(s) sent again; the payment service sends them on its next reconciliation pass`)
})

const Database = PgClient.layer({ url: Redacted.make(databaseUrl), maxConnections: 1 })

program.pipe(Effect.provide(RefundRepo.layer.pipe(Layer.provide(Database))), NodeRuntime.runMain)
