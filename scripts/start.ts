/**
 * `npm start`: runs the whole platform on this machine.
 *
 * Embedded (default): one PGlite database per service under DATA_DIR (default .data/), all served by one process,
 * in-memory cache and rate limits, the PostgreSQL-backed event log. Distributed: set POSTGRES_URL (a server where each
 * service gets its own database, e.g. postgres://postgres@127.0.0.1:5432), and optionally REDIS_URL and KAFKA_BROKERS.
 *
 * Every service runs as its own process, talking gRPC on loopback; a service that dies is restarted. Each start
 * prints one line `{"service":"launcher","process":"order","pid":1234,"restarts":0,...}` on stdout (rendered as
 * "order started (pid 1234)" on a terminal). Ctrl-C stops everything (SIGTERM, then SIGKILL after a grace period).
 */
import { type DatabaseService, databaseServices, Topology } from "@shop/service-defaults/Topology"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync } from "node:fs"
import { join, resolve } from "node:path"
import { createInterface } from "node:readline"
import { databaseOn } from "./databases.ts"
import { bundleEntries, type BundleName, ensureBundles } from "./service-bundles.ts"
import { waitForHealth, waitForStart } from "./service-start.ts"

const startedAt = Date.now()
const root = resolve(import.meta.dirname, "..")
const dataDir = resolve(root, process.env.DATA_DIR ?? ".data")
const postgresUrl = process.env.POSTGRES_URL
// PORT_OFFSET shifts every port, so a second platform (a test run, a bench) can run beside the first.
const offset = Number(process.env.PORT_OFFSET ?? 0)
const embeddedPortBase = Number(process.env.EMBEDDED_PG_PORT_BASE ?? 54330) + offset
const port = {
  gatewayHttp: Topology.gateway.httpPort + offset,
  gatewayAdmin: Topology.gateway.adminPort + offset,
  productGrpc: Topology.product.grpcPort + offset,
  orderGrpc: Topology.order.grpcPort + offset,
  paymentGrpc: Topology.payment.grpcPort + offset,
  notificationGrpc: Topology.notification.grpcPort + offset,
  simulator: Topology.paymentSimulator.httpPort + offset,
  smsSimulator: 8082 + offset,
  notificationHttp: 8083 + offset,
  smtpSink: 2525 + offset,
  admin: (name: DatabaseService) => Topology[name].adminPort + offset
}
const pretty = process.stdout.isTTY && process.env.LOG_FORMAT !== "json"

// Replicas of the stateless request path on this one machine, on the same databases, as an autoscaler would run
// them: REPLICAS for gateway, product and order, or GATEWAY_REPLICAS / PRODUCT_REPLICAS / ORDER_REPLICAS. Replica k
// (from 0) has every port of the first one plus 100 k; gRPC clients balance over all of them (`ipv4:a,b` targets),
// and each gateway has its own REST port.
const replicated = ["gateway", "product", "order"] as const
const replicasOf = (name: string) => {
  if (!(replicated as ReadonlyArray<string>).includes(name)) return 1
  const count = Number(process.env[`${name.toUpperCase()}_REPLICAS`] ?? process.env.REPLICAS ?? 1)
  return Number.isInteger(count) && count >= 1 && count <= 8 ? count : 1
}
const replicaStep = 100
/** `base` for each replica of `name`. */
const replicaPorts = (name: string, base: number) =>
  Array.from({ length: replicasOf(name) }, (_, k) => base + k * replicaStep)
const replicaName = (name: string, k: number) => (k === 0 ? name : `${name}#${k + 1}`)

interface Proc {
  readonly name: string
  readonly args: ReadonlyArray<string>
  readonly env: Record<string, string>
  child?: ChildProcess
  restarts: number
}

const procs: Array<Proc> = []
let stopping = false

const colors = [36, 33, 35, 32, 34, 31, 90]
const color = (name: string, text: string) =>
  pretty ? `\x1b[${colors[[...name].reduce((a, c) => a + c.charCodeAt(0), 0) % colors.length]}m${text}\x1b[0m` : text

/** Renders a child's JSON log line for a terminal; passes it through unchanged otherwise. */
const render = (name: string, line: string) => {
  if (!pretty) return line
  try {
    const log = JSON.parse(line) as Record<string, unknown>
    const message = Array.isArray(log.message) ? log.message.join(" ") : String(log.message)
    const time = typeof log.time === "string" ? log.time.slice(11, 19) : ""
    const level = String(log.level ?? "").toUpperCase().padEnd(5)
    return `${time} ${color(name, name.padEnd(13))} ${level} ${message}${log.cause ? `\n${String(log.cause)}` : ""}`
  } catch {
    return `${color(name, name.padEnd(13))} ${line}`
  }
}

// Node keeps the compiled (and type-stripped) code of every module here, so a process started again loads in about
// half the CPU time and memory. NODE_COMPILE_CACHE chooses another folder.
const compileCache = process.env.NODE_COMPILE_CACHE ?? join(root, "node_modules/.cache/shop-mesh/node-compile-cache")

// Processes that see little traffic get a small young generation: V8's default lets each grow to tens of MB that
// they never need (about 35 MB less each). The request paths (gateway, product, order, payment) keep the default,
// which costs memory but saves garbage collections under load. So does the notification service when distributed,
// as in the container images: it sends a mail for every order, and with 1 MB its collections were 9.5 % of its CPU
// under `bench:orders` (3 % with the default); embedded, on a laptop, its 45 MB matter more than its mails' speed.
const smallHeap = "--max-semi-space-size=1"

// Every process loads the orphan guard first: should this launcher die without stopping them (kill -9), they stop
// themselves instead of holding their ports and CPU.
const orphanGuard = ["--import", join(root, "scripts/orphan-guard.ts")]

// PROFILE_DIR: every process writes a V8 CPU profile there when it stops (open it in Chrome's DevTools or
// speedscope as a flame graph). Node refuses --cpu-prof in NODE_OPTIONS, hence a setting of the launcher.
const profile = process.env.PROFILE_DIR === undefined
  ? []
  : ["--cpu-prof", `--cpu-prof-dir=${resolve(process.env.PROFILE_DIR)}`]

const launch = (proc: Proc) => {
  const child = spawn(process.execPath, [...orphanGuard, ...profile, ...proc.args], {
    cwd: root,
    env: { ...process.env, NODE_COMPILE_CACHE: compileCache, ...proc.env, SHOP_LAUNCHER_PID: String(process.pid) },
    stdio: ["ignore", "pipe", "pipe"]
  })
  proc.child = child
  // One JSON line per (re)start, so that a harness driving the launcher (the chaos checker) knows each PID.
  console.log(render(
    "launcher",
    JSON.stringify({
      time: new Date().toISOString(),
      level: "info",
      service: "launcher",
      message: `${proc.name} started (pid ${child.pid})`,
      process: proc.name,
      pid: child.pid,
      restarts: proc.restarts
    })
  ))
  createInterface({ input: child.stdout }).on("line", (line) => console.log(render(proc.name, line)))
  createInterface({ input: child.stderr }).on("line", (line) => console.error(render(proc.name, line)))
  child.on("exit", (code, signal) => {
    if (stopping) return
    proc.restarts++
    const delay = Math.min(10_000, 500 * 2 ** Math.min(proc.restarts, 5))
    console.error(color(proc.name, `${proc.name} exited (${signal ?? code}); restarting in ${delay} ms`))
    setTimeout(() => stopping || launch(proc), delay)
  })
}

const start = (name: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const proc: Proc = { name, args, env, restarts: 0 }
  procs.push(proc)
  launch(proc)
}

const stopAll = async (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  console.log(`\nstopping Shop Mesh (${signal})...`)
  const exits = procs.toReversed().map((proc) =>
    new Promise<void>((done) => {
      const child = proc.child
      if (!child || child.exitCode !== null || child.signalCode !== null) return done()
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      child.once("exit", () => (clearTimeout(timer), done()))
      child.kill("SIGTERM")
    })
  )
  await Promise.all(exits)
  console.log("stopped")
  process.exit(0)
}
process.on("SIGINT", stopAll)
process.on("SIGTERM", stopAll)
// Whoever read this output is gone (`npm start | head`): stop rather than crash on the next line and orphan everyone.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => error.code === "EPIPE" && void stopAll("SIGPIPE"))
}

const services = join(root, "packages")

// Every process runs from a bundle of its code (scripts/service-bundles.ts: a few files to load instead of a
// thousand modules, built again when a source changed), or from its sources with RUN_FROM_SOURCE=true, or when the
// bundles cannot be built.
const bundles = process.env.RUN_FROM_SOURCE === "true" ? undefined : await ensureBundles().then(
  (built) => {
    if (built.built) console.log(`bundled the services in ${(built.buildMs / 1000).toFixed(1)} s (${built.dir})`)
    return built
  },
  (error: unknown) => {
    console.error(`could not bundle the services, running their sources: ${String(error)}`)
    return undefined
  }
)
/** The file a process runs. */
const entry = (name: BundleName) => bundles?.entry(name) ?? join(root, bundleEntries[name])

const databaseUrl: Record<string, string> = {}
// An embedded database serves one connection at a time, and the embedded platform is never run with statements
// pipelined on it: on a real server (distributed) both stay at the services' defaults.
const poolMax = postgresUrl ? {} : { DATABASE_POOL_MAX: "1", DATABASE_MULTIPLEX: "false" }
// The PostgreSQL-backed event log lives in a database of its own, shared by producers and consumers.
let eventLog: Record<string, string>

if (postgresUrl) {
  for (const name of databaseServices) {
    databaseUrl[name] = databaseOn(postgresUrl, Topology[name].database)
  }
  eventLog = { EVENT_LOG_URL: databaseOn(postgresUrl, "shop_events") }
} else {
  mkdirSync(dataDir, { recursive: true })
  // One process serves every embedded database, each its own PGlite on its own port (scripts/embedded-postgres.ts).
  const embedded = [...databaseServices, "events"].map((name, index) => ({
    name,
    pgPort: embeddedPortBase + index + 1
  }))
  start("embedded-postgres", [
    smallHeap,
    entry("embedded-postgres"),
    dataDir,
    ...embedded.map(({ name, pgPort }) => `${name}=${pgPort}`)
  ])
  for (const { name, pgPort } of embedded) databaseUrl[name] = `postgres://postgres@127.0.0.1:${pgPort}/postgres`
  // One connection per process to PGlite: LISTEN is off, so consumers poll briskly while there is work, and slow
  // down while there is none (an idle platform's CPU is mostly these polls, and the readiness checks' pings that
  // keep each service's gRPC health current: every 5 s here while it serves, every second while it does not).
  eventLog = {
    EVENT_LOG_URL: databaseUrl.events!,
    EVENT_LOG_POOL_MAX: "1",
    EVENT_LOG_POLL: "200 millis",
    EVENT_LOG_POLL_MAX: "2 seconds",
    OUTBOX_POLL_MAX: "2 seconds",
    NOTIFICATION_POLL_MAX: "2 seconds",
    SAGA_POLL_MAX: "2 seconds",
    GRPC_HEALTH_INTERVAL: "5 seconds"
  }
}

/** A gRPC target for every replica: `127.0.0.1:port`, or `ipv4:127.0.0.1:a,127.0.0.1:b` (round robin over them). */
const target = (name: string, base: number) => {
  const ports = replicaPorts(name, base)
  return ports.length === 1 ? `127.0.0.1:${base}` : `ipv4:${ports.map((p) => `127.0.0.1:${p}`).join(",")}`
}
const addresses = {
  PRODUCT_GRPC_ADDR: target("product", port.productGrpc),
  ORDER_GRPC_ADDR: target("order", port.orderGrpc),
  PAYMENT_GRPC_ADDR: `127.0.0.1:${port.paymentGrpc}`,
  NOTIFICATION_GRPC_ADDR: target("notification", port.notificationGrpc),
  NOTIFICATION_ADMIN_URL: `http://127.0.0.1:${port.admin("notification")}`
}
// Service-to-service keys, created there by each service on its first start (development rules).
const serviceKeys = { SERVICE_KEYS_DIR: join(dataDir, "service-keys") }
const grpcPort: Partial<Record<DatabaseService, number>> = {
  product: port.productGrpc,
  order: port.orderGrpc,
  payment: port.paymentGrpc,
  notification: port.notificationGrpc
}
// Everything starts at once: the services load their code while the databases start, and wait for them
// (DATABASE_CONNECT_TIMEOUT).
const paymentProviderUrl = `http://127.0.0.1:${port.simulator}`
// The fault and reset API is a development tool: on here, off unless SIMULATOR_ADMIN=true elsewhere.
start("payment-sim", [smallHeap, entry("payment-sim")], {
  SIMULATOR_PORT: String(port.simulator),
  SIMULATOR_ADMIN: "true"
})
const smsProviderUrl = `http://127.0.0.1:${port.smsSimulator}`
start("sms-sim", [smallHeap, entry("sms-sim")], {
  SMS_SIMULATOR_PORT: String(port.smsSimulator)
})
const gatewayHttpPorts = replicaPorts("gateway", port.gatewayHttp)
const gatewayAdminPorts = replicaPorts("gateway", port.gatewayAdmin)
gatewayHttpPorts.forEach((httpPort, k) =>
  start(replicaName("gateway", k), [entry("gateway")], {
    ...addresses,
    ...serviceKeys,
    HTTP_PORT: String(httpPort),
    ADMIN_PORT: String(gatewayAdminPorts[k]),
    NOTIFICATION_HTTP_URL: `http://127.0.0.1:${port.notificationHttp}`,
    // the storefront's build, wherever the gateway's code runs from
    STOREFRONT_DIR: process.env.STOREFRONT_DIR ?? join(services, "storefront/dist"),
    SHOP_REPLICA: String(k + 1)
  })
)
const adminPorts = (name: DatabaseService) => replicaPorts(name, port.admin(name))
for (const name of databaseServices) {
  adminPorts(name).forEach((adminPort, k) => {
    const grpc = grpcPort[name]
    start(
      replicaName(name, k),
      [...(name === "notification" && !postgresUrl ? [smallHeap] : []), entry(name)],
      {
        ...addresses,
        ...serviceKeys,
        ...poolMax,
        ...(grpc === undefined ? {} : { GRPC_PORT: String(grpc + k * replicaStep) }),
        ADMIN_PORT: String(adminPort),
        SHOP_REPLICA: String(k + 1),
        ...eventLog,
        PAYMENT_PROVIDER_URL: paymentProviderUrl,
        SMS_PROVIDER_URL: smsProviderUrl,
        NOTIFICATION_HTTP_PORT: String(port.notificationHttp),
        SMTP_SINK_PORT: String(port.smtpSink),
        DATABASE_URL: databaseUrl[name]!,
        DATABASE_CONNECT_TIMEOUT: "120 seconds"
      }
    )
  })
}

// Each service counts once its start-up has finished (its admin port's readiness); the simulator and the public
// ports once they answer.
const started = (name: string, adminPort: number) =>
  [name, () => waitForStart(`http://127.0.0.1:${adminPort}`, 90_000)] as const
const answering = (name: string, url: string) => [name, () => waitForHealth(url, 90_000)] as const
const endpoints = [
  ...gatewayAdminPorts.map((p, k) => started(replicaName("gateway", k), p)),
  ...databaseServices.flatMap((name) => adminPorts(name).map((p, k) => started(replicaName(name, k), p))),
  answering("payment-sim", `${paymentProviderUrl}/healthz`),
  ...gatewayHttpPorts.map((p, k) =>
    answering(`platform via ${replicaName("gateway", k)}`, `http://127.0.0.1:${p}/healthz`)
  )
]
const results = await Promise.all(endpoints.map(([, wait]) => wait()))
const seconds = ((Date.now() - startedAt) / 1000).toFixed(1)
if (results.every(Boolean)) {
  console.log(`
Shop Mesh is up (${postgresUrl ? "distributed" : "embedded"} mode, healthy in ${seconds} s)
  storefront     http://127.0.0.1:${port.gatewayHttp}/   (operator console: /admin)
  REST API       ${
    gatewayHttpPorts.map((p) => `http://127.0.0.1:${p}/api/v1`).join(" ")
  }   (docs: /docs, OpenAPI: /openapi.json)
  health         http://127.0.0.1:${port.gatewayHttp}/healthz
  gateway admin  http://127.0.0.1:${port.gatewayAdmin}/metrics
${
    databaseServices.map((name) =>
      `  ${name.padEnd(14)} ${adminPorts(name).map((p) => `http://127.0.0.1:${p}/readyz`).join(" ")}`
    ).join("\n")
  }
  card processor ${paymentProviderUrl}  (simulator; faults at /admin/faults)
  mail           ${
    process.env.SMTP_URL
      ? `${process.env.SMTP_URL.replace(/\/\/[^@/]*@/, "//")}  (SMTP_URL)`
      : `http://127.0.0.1:${port.notificationHttp}/mail  (local SMTP sink on :${port.smtpSink})`
  }
  notifications  http://127.0.0.1:${port.notificationHttp}/notifications?order_id=...
  sms            ${smsProviderUrl}/v1/messages  (simulator)
  data           ${postgresUrl ? postgresUrl : dataDir}
Press Ctrl-C to stop.
`)
} else {
  const failed = endpoints.filter((_, i) => !results[i]).map(([name]) => name)
  console.error(`not healthy after 90 s: ${failed.join(", ")}`)
}
