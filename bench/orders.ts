/**
 * Order benchmark through the gateway: creates orders (POST /api/v1/orders) and learns when each was confirmed from
 * the platform's own `order.confirmed` events (a consumer group of the bench's own), never by asking for each order.
 *
 *   npm run bench:orders -- --concurrency 16 --duration 20     # closed loop: 16 create calls in flight
 *   npm run bench:orders -- --mode open --rate 100 --duration 20   # open loop: 100 orders/s due, whatever happens
 *   npm run bench:orders -- --k6                               # the k6 scenario of tests/load/k6/scenarios.json
 *   add --start to start (and stop) the platform here instead of measuring a running one
 *   add --warmup 15 to run the same load for 15 s first, every answer checked and every order confirmed, and measure
 *   the steady state after it (processes just started spend their first seconds compiling their hot code)
 *   add --waits to sample what the platform's PostgreSQL backends wait on meanwhile (a popular row, the WAL)
 *
 * Prints create-call latency, time to confirmed (from the moment an order was due to the `occurredAt` of its
 * confirmation), orders confirmed per second end to end, the CPU each platform process spent per confirmed order,
 * and duplicates (an order confirmed by two events or paid twice). Exits 1 when any create answer was not 2xx, an
 * order failed or was not confirmed within --settle seconds, or a duplicate was seen.
 */
import { benchPlatform, describeRun, finish, metricSum, parse, positive, token } from "./lib/bench-setup.ts"
import { formatCpu, startCpuMeter } from "./lib/cpu.ts"
import { formatEventLoops, startEventLoopSampler } from "./lib/event-loops.ts"
import { k6Scenario, latencyOf, reportThresholds } from "./lib/k6-scenarios.ts"
import { formatResults, type LoadMode, percentile, runLoad, warmUpOf } from "./lib/load.ts"
import { mailsBehind } from "./lib/mails.ts"
import { watchOrderEvents } from "./lib/order-events.ts"
import { makeOrderTracker } from "./lib/order-tracker.ts"
import { formatWaits, startWaitSampler } from "./lib/waits.ts"

const values = parse({
  concurrency: { type: "string", default: "16" },
  replicas: { type: "string" },
  products: { type: "string", default: "1" },
  settle: { type: "string", default: "30" },
  warmup: { type: "string", default: "0" },
  waits: { type: "boolean", default: false }
})
// --replicas N (with --start): N gateways, product and order services on the same databases (REPLICAS, see README)
const bench = await benchPlatform(values, values.replicas === undefined ? {} : { REPLICAS: values.replicas })
try {
  await run()
} finally {
  await bench.stop()
}

async function run() {
  const { gatewayUrl, platform } = bench
  const scenario = values.k6 ? k6Scenario("orders", positive("rate-scale", values["rate-scale"])) : undefined
  const durationS = positive("duration", values.duration, 600)
  const mode: LoadMode = scenario !== undefined
    ? { kind: "open", startRate: scenario.startRate, stages: scenario.stages, maxInFlight: 512 }
    : values.mode === "open"
    ? {
      kind: "open",
      startRate: positive("rate", values.rate, 5_000),
      stages: [{ durationS, target: positive("rate", values.rate, 5_000) }],
      maxInFlight: 512
    }
    : { kind: "closed", durationS, connections: positive("concurrency", values.concurrency, 512) }
  const gateways = platform.gateways
  const runId = Date.now().toString(36)
  const userId = `bench_${runId}`
  const headers = { authorization: `Bearer ${token(userId, ["admin", "customer"])}` }
  describeRun(bench)

  // Products with stock for every order the warm-up and the run can place.
  const warmupS = values.warmup === "0" ? 0 : positive("warmup", values.warmup, 600)
  const planned = mostOrders(mode) + (warmupS === 0 ? 0 : mostOrders(warmUpOf(mode, warmupS)))
  const productIds: Array<string> = []
  for (let p = 0; p < positive("products", values.products, 100); p++) {
    const response = await fetch(`${gatewayUrl}/api/v1/products`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({
        name: `Bench Widget ${p + 1}`,
        price: 9.99,
        sku: `BENCH-${runId}-${p}`.toUpperCase(),
        inventory: Math.ceil(planned * 2) + 100,
        category: "Bench"
      })
    })
    const body = (await response.json().catch(() => ({}))) as { id?: string }
    if (response.status !== 201 || body.id === undefined) {
      throw new Error(`creating a bench product failed: ${response.status} ${JSON.stringify(body)}`)
    }
    productIds.push(body.id)
  }

  // The measured orders, and those placed before measuring: each set is checked on its own (the events of one
  // set are unknown orders to the other's tracker, which only keeps them aside).
  const tracker = makeOrderTracker()
  const warmTracker = makeOrderTracker()
  const watcher = await watchOrderEvents(platform, (seen) => {
    warmTracker.seen(seen)
    tracker.seen(seen)
  })
  console.log(`events: ${watcher.transport}`)
  const orderBody = (i: number, phase = "") => ({
    items: [{ product_id: productIds[i % productIds.length]!, quantity: 1 }],
    shipping_address: { street: "1 Bench St", city: "San Francisco", state: "CA", zip: "94102" },
    payment_method: "credit_card",
    idempotency_key: `${userId}-${phase}${i}`
  })
  const createCheck = (orders: typeof tracker) => (text: string, _i: number, dueAt: number) => {
    const order = JSON.parse(text) as { order_id?: string; status?: string }
    if (order.order_id === undefined) return "answer without order_id"
    orders.created(order.order_id, dueAt)
    return order.status === "pending" || order.status === "confirmed" ? undefined : `status ${order.status}`
  }
  const settleDeadline = () => Date.now() + positive("settle", values.settle, 600) * 1000
  const settled = async (orders: typeof tracker, deadline: number) => {
    while (orders.pending() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    return orders.pending() === 0
  }

  // One order end to end before measuring: the event pipeline is live and the watcher sees it.
  const warmup = await fetch(`${gateways[0]}/api/v1/orders`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(orderBody(0, "first-"))
  })
  const warm = (await warmup.json().catch(() => ({}))) as { order_id?: string }
  if (warmup.status >= 300 || warm.order_id === undefined) {
    await watcher.stop()
    throw new Error(
      `the warm-up order was refused: ${warmup.status} ${JSON.stringify(warm)}${
        warmup.status === 429 ? " (raise the RATE_LIMIT_* settings, see the README)" : ""
      }`
    )
  }
  warmTracker.created(warm.order_id, Date.now())
  if (!(await settled(warmTracker, Date.now() + 30_000))) {
    await watcher.stop()
    throw new Error("the warm-up order's confirmation never arrived through the events within 30 s")
  }
  // --warmup: the same load, checked like the measured run, so that the measurement starts on warm processes.
  const warmLoad = warmupS === 0 ? undefined : await runLoad({
    name: "warm-up (not measured)",
    bases: gateways,
    next: (i) => ({ method: "POST", path: "/api/v1/orders", body: orderBody(i, "warm-"), headers }),
    check: createCheck(warmTracker)
  }, warmUpOf(mode, warmupS))
  const warmSettled = await settled(warmTracker, settleDeadline())

  // Each service's admin ports, found once (finding them probes every listening port of its processes).
  const admins = await Promise.all(
    ["gateway", "product", "order", "payment", "notification"].map(async (service) => ({
      service,
      urls: await platform.adminUrls(service)
    }))
  )
  const adminsOf = (service: string) => admins.find((a) => a.service === service)?.urls ?? []
  const orderAdmins = adminsOf("order")
  const perReplicaBefore = await Promise.all(orderAdmins.map((url) => metricSum([url], "orders_confirmed_total")))
  const confirmedBefore = perReplicaBefore.reduce((sum, n) => sum + n, 0)
  const notificationAdmins = adminsOf("notification")
  const mailsSent = () => metricSum(notificationAdmins, "notifications_sent_total", "outcome=\"sent\"")
  const mailsBefore = await mailsSent()
  const eventLoops = startEventLoopSampler(admins)
  const meter = await startCpuMeter(platform, gatewayUrl)
  const sampler = values.waits ? await startWaitSampler(platform) : undefined
  const result = await runLoad({
    name: "create order",
    bases: gateways,
    next: (i) => ({ method: "POST", path: "/api/v1/orders", body: orderBody(i), headers }),
    check: createCheck(tracker)
  }, mode)
  await settled(tracker, settleDeadline())
  const cpu = await meter.stop()
  const loops = eventLoops.stop()
  const mails = await mailsSent() - mailsBefore
  const waits = await sampler?.stop()
  const perReplica = await Promise.all(orderAdmins.map((url) => metricSum([url], "orders_confirmed_total")))
  const confirmedAfter = perReplica.reduce((sum, n) => sum + n, 0)
  await watcher.stop()
  if (orderAdmins.length > 1) {
    const shares = perReplica.map((n, i) => `${orderAdmins[i]} ${n - perReplicaBefore[i]!}`)
    console.log(`\nconfirmations per order replica (orders_confirmed_total): ${shares.join(", ")}`)
  }
  // Mails trail their orders (each is sent after its order's confirmation). A notification service that falls
  // behind shows as fewer mails than confirmations, and the CPU per order then leaves out the sends it put off: far
  // behind (see mails.ts), the run fails.
  const confirmedWhileMeasured = confirmedAfter - confirmedBefore
  console.log(
    `\nmails sent while measured (notifications_sent_total, outcome sent): ${mails}, ` +
      `${(mails / (cpu.seconds || 1)).toFixed(1)} per second, ` +
      `${(mails / (confirmedWhileMeasured || 1)).toFixed(2)} per order confirmed meanwhile`
  )
  console.log(formatEventLoops(loops))
  const charges = await chargesPerOrder(platform.setting("payment", "PAYMENT_PROVIDER_URL"), [tracker, warmTracker])
  const waitsText = !values.waits
    ? undefined
    : waits === undefined
    ? "--waits: the databases are embedded or unknown, nothing sampled"
    : formatWaits(waits)
  await report(
    result,
    tracker,
    cpu,
    confirmedAfter - confirmedBefore,
    scenario,
    watcher.undecodable(),
    charges,
    waitsText,
    { load: warmLoad, tracker: warmTracker, settled: warmSettled },
    mailsBehind(mails, confirmedWhileMeasured)
  )
}

async function report(
  result: Awaited<ReturnType<typeof runLoad>>,
  tracker: ReturnType<typeof makeOrderTracker>,
  cpu: Awaited<ReturnType<Awaited<ReturnType<typeof startCpuMeter>>["stop"]>>,
  metricConfirmed: number,
  scenario: ReturnType<typeof k6Scenario> | undefined,
  undecodable: number,
  charges: { readonly checked: boolean; readonly chargedTwice: number },
  waitsText: string | undefined,
  warm: {
    readonly load: Awaited<ReturnType<typeof runLoad>> | undefined
    readonly tracker: ReturnType<typeof makeOrderTracker>
    readonly settled: boolean
  },
  mailsProblem: string | undefined
) {
  const outcomes = [...tracker.orders.values()]
  const confirmed = outcomes.filter((o) => o.confirmedAt !== undefined)
  const failed = outcomes.filter((o) => o.failed !== undefined)
  const toConfirmed = confirmed.map((o) => o.confirmedAt! - o.dueAt).toSorted((a, b) => a - b)
  const delivery = confirmed.map((o) => o.deliveredAt! - o.confirmedAt!).toSorted((a, b) => a - b)
  const first = Math.min(...outcomes.map((o) => o.dueAt))
  const last = Math.max(...confirmed.map((o) => o.confirmedAt!))
  const spanS = confirmed.length > 0 ? (last - first) / 1000 : 0
  const cells = (sorted: ArrayLike<number>) =>
    [50, 95, 99].map((p) => percentile(sorted, p).toFixed(1).padStart(8)).join(" ") +
    (sorted.length ? (sorted[sorted.length - 1] as number).toFixed(1).padStart(9) : "")

  const warmOrders = [...warm.tracker.orders.values()]
  const warmFailed = warmOrders.filter((o) => o.failed !== undefined).length
  const warmDuplicates = warm.tracker.duplicates()
  console.log(`\n${formatResults(warm.load === undefined ? [result] : [warm.load, result])}`)
  console.log(
    `warm-up orders (not measured, the first one included): ${warmOrders.length}, failed ${warmFailed}, ` +
      `not confirmed in time ${warm.tracker.pending()}, confirmed or paid twice ${
        warmDuplicates.confirmations + warmDuplicates.payments
      }`
  )
  console.log(`\n${"".padEnd(22)} ${"n".padStart(6)}   p50 ms   p95 ms   p99 ms   max ms`)
  console.log(`${"time to confirmed".padEnd(22)} ${String(toConfirmed.length).padStart(6)} ${cells(toConfirmed)}`)
  console.log(
    `${"  of which delivery".padEnd(22)} ${String(delivery.length).padStart(6)} ${cells(delivery)}  (event to bench)`
  )
  console.log(
    `\nend to end: ${(confirmed.length / (spanS || 1)).toFixed(1)} orders confirmed/s ` +
      `(${confirmed.length} of ${outcomes.length} accepted orders, first due to last confirmed in ${
        spanS.toFixed(1)
      } s)`
  )
  const reasons = [...new Set(failed.map((o) => o.failed))].slice(0, 5)
  const pending = tracker.pending()
  console.log(
    `outcomes: confirmed ${confirmed.length}, failed ${failed.length}${
      reasons.length ? ` (${reasons.join("; ")})` : ""
    }, not confirmed in time ${pending}`
  )
  const duplicates = tracker.duplicates()
  console.log(
    `duplicates: orders confirmed twice ${duplicates.confirmations}, paid twice ${duplicates.payments}; ` +
      `events delivered again (at least once, harmless) ${tracker.redeliveries()}`
  )
  console.log(
    charges.checked
      ? `card processor ledger: orders of this run charged more than once ${charges.chargedTwice}`
      : "card processor ledger: not read (no simulator)"
  )
  console.log(
    `orders_confirmed_total rose by ${metricConfirmed} on the order service (the events showed ${confirmed.length})`
  )
  console.log(`\n${formatCpu(cpu, confirmed.length, "order")}`)
  if (waitsText !== undefined) console.log(`\n${waitsText}`)

  const problems: Array<string> = []
  if (warm.load?.failed) {
    problems.push(`warm-up create calls with unexpected answers: ${JSON.stringify(warm.load.problems)}`)
  }
  if (warmFailed > 0 || !warm.settled) problems.push("warm-up orders failed or were not confirmed within --settle")
  if (warmDuplicates.confirmations + warmDuplicates.payments > 0) problems.push("duplicates among the warm-up orders")
  if (result.failed) problems.push(`create calls with unexpected answers: ${JSON.stringify(result.problems)}`)
  if (failed.length > 0) problems.push(`${failed.length} orders failed`)
  if (pending > 0) problems.push(`${pending} orders not confirmed within --settle`)
  if (duplicates.confirmations + duplicates.payments + charges.chargedTwice > 0) problems.push("duplicates")
  if (undecodable > 0) problems.push(`${undecodable} events did not decode`)
  if (metricConfirmed < confirmed.length) problems.push("the order service counted fewer confirmations than the events")
  if (mailsProblem !== undefined) problems.push(mailsProblem)
  if (scenario !== undefined) {
    console.log("\nk6 scenario thresholds (tests/load/k6/scenarios.json, measured by this bench):")
    const met = reportThresholds(scenario, {
      "http_req_duration{endpoint:create_order}": latencyOf(result.latency),
      http_req_failed: (a) => (a === "rate" ? 1 - answered2xx(result.statuses) / result.sent : undefined),
      checks: (a) => (a === "rate" ? result.ok / result.sent : undefined)
    })
    if (!met) problems.push("k6 thresholds not met")
  }
  finish(problems)
}

function answered2xx(statuses: Readonly<Record<string, number>>) {
  return Object.entries(statuses).filter(([status]) => status.startsWith("2")).reduce((sum, [, n]) => sum + n, 0)
}

/** The most orders a load can place: an open loop's arrivals, or far above what the platform confirms per second. */
function mostOrders(mode: LoadMode) {
  if (mode.kind === "closed") return mode.durationS * 2_000
  return mode.stages.reduce(
    (sum, s, i, all) => sum + (s.target + (i ? all[i - 1]!.target : mode.startRate)) / 2 * s.durationS,
    0
  )
}

/** How many orders of this run the card processor (the simulator's ledger) charged more than once. */
async function chargesPerOrder(
  simulator: string | undefined,
  trackers: ReadonlyArray<ReturnType<typeof makeOrderTracker>>
) {
  if (simulator === undefined) return { checked: false, chargedTwice: 0 }
  const ledger = await fetch(`${simulator}/v1/ledger`).then(
    (r) => r.json() as Promise<{ totals?: { by_order?: Record<string, number> } }>,
    () => undefined
  )
  const byOrder = ledger?.totals?.by_order
  if (byOrder === undefined) return { checked: false, chargedTwice: 0 }
  const ids = trackers.flatMap((tracker) => [...tracker.orders.keys()])
  return { checked: true, chargedTwice: ids.filter((id) => (byOrder[id] ?? 0) > 1).length }
}
