/**
 * `npm run chaos [-- --orders 200 --seed 1234 --offset 3000 --distributed]`: the chaos checker. Starts a fresh
 * platform (the launcher, embedded mode, its own PORT_OFFSET and data folder; with `--distributed`, every service on
 * the PostgreSQL of POSTGRES_URL and the Redis of REDIS_URL, default this machine's, in databases and keys of the
 * run's own, dropped afterwards), places orders through the gateway while it injects
 * card-processor faults and SIGKILLs order, payment and product, clears the faults, lets the platform settle and
 * checks every order against the processor's ledger, the stock and the mailbox. Prints the seed (repeat a run with
 * `--seed`), counts per fault and outcome, and every violation; exits 1 on any violation. Loopback only; bounded by
 * --orders (at most 1000) and the profile's time limits (a few minutes for 200 orders).
 */
import { sharedServersRun } from "@shop/service-defaults/testing/SharedServers"
import { parseArgs } from "node:util"
import { fullProfile } from "../tests/chaos/ChaosPlan.ts"
import { runChaos } from "../tests/chaos/ChaosRun.ts"
import { randomSeed } from "../tests/chaos/Seeded.ts"

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "200" },
    seed: { type: "string" },
    offset: { type: "string", default: process.env.PORT_OFFSET ?? "3000" },
    distributed: { type: "boolean", default: false }
  }
})
const orders = Number(values.orders)
const seed = values.seed === undefined ? randomSeed() : Number(values.seed)
const offset = Number(values.offset)
if (!Number.isInteger(orders) || orders < 1 || orders > 1000) throw new Error("--orders must be 1 to 1000")
if (!Number.isInteger(seed) || seed < 0) throw new Error("--seed must be a non-negative integer")
if (!Number.isInteger(offset) || offset < 0 || offset > 10_000) throw new Error("--offset must be 0 to 10000")

const started = Date.now()
const stamp = () => `[${String(Math.round((Date.now() - started) / 1000)).padStart(4)} s]`
try {
  const result = await runChaos({
    seed,
    profile: fullProfile(orders),
    offset,
    log: (line) => console.log(`${stamp()} ${line}`),
    keepDataOnViolation: true,
    servers: values.distributed
      ? sharedServersRun(
        "chaos",
        process.env.POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432",
        process.env.REDIS_URL ?? "redis://127.0.0.1:6379"
      )
      : undefined
  })
  const mode = values.distributed ? " --distributed" : ""
  console.log(`\nchaos --orders ${orders} --seed ${seed}${mode}: ${Math.round((Date.now() - started) / 1000)} s`)
  for (const line of result.report) console.log(line)
  if (result.keptData !== undefined) console.log(`platform data and logs kept in ${result.keptData}`)
  process.exitCode = result.violations.length === 0 ? 0 : 1
} catch (error) {
  console.error(`chaos --seed ${seed}: the run could not complete: ${String(error)}`)
  process.exitCode = 2
}
