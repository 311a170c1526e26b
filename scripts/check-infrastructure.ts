/**
 * Before `make migrate-up`, `make seed` and `make run-all`: can this host reach the infrastructure the addresses name?
 * Usage: node scripts/check-infrastructure.ts [postgres] [kafka] [redis] [otlp] [smtp]
 *
 * One TCP connection per address (a second at most each), one line per check. PostgreSQL and Kafka are required: the
 * services cannot start without them, so an unreachable one stops make with what to do. Redis, the OTLP collector and
 * SMTP are checked and reported only: the services degrade without them (memory stores, no trace export, mail
 * retried, then SMS).
 */
import { createConnection } from "node:net"

interface Check {
  readonly name: string
  readonly variable: string
  readonly required: boolean
  readonly endpoints: () => ReadonlyArray<{ readonly host: string; readonly port: number }>
}

const fromUrl = (variable: string, defaultPort: number) => () => {
  const value = process.env[variable]
  if (value === undefined || value === "") return []
  const url = new URL(value)
  return [{ host: url.hostname, port: Number(url.port || defaultPort) }]
}

const checks: Record<string, Check> = {
  postgres: { name: "PostgreSQL", variable: "POSTGRES_URL", required: true, endpoints: fromUrl("POSTGRES_URL", 5432) },
  kafka: {
    name: "Kafka",
    variable: "KAFKA_BROKERS",
    required: true,
    endpoints: () =>
      (process.env.KAFKA_BROKERS ?? "").split(",").map((b) => b.trim()).filter((b) => b !== "").map((broker) => {
        const [host, port] = [broker.slice(0, broker.lastIndexOf(":")), broker.slice(broker.lastIndexOf(":") + 1)]
        return { host, port: Number(port) }
      })
  },
  redis: { name: "Redis", variable: "REDIS_URL", required: false, endpoints: fromUrl("REDIS_URL", 6379) },
  otlp: {
    name: "OTLP collector",
    variable: "OTEL_EXPORTER_OTLP_ENDPOINT",
    required: false,
    endpoints: fromUrl("OTEL_EXPORTER_OTLP_ENDPOINT", 4318)
  },
  smtp: { name: "SMTP", variable: "SMTP_URL", required: false, endpoints: fromUrl("SMTP_URL", 25) }
}

const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host, port })
    socket.setTimeout(1_000)
    socket.once("connect", () => (socket.destroy(), resolve(true)))
    socket.once("error", () => (socket.destroy(), resolve(false)))
    socket.once("timeout", () => (socket.destroy(), resolve(false)))
  })

let failed = false
for (const key of process.argv.slice(2)) {
  const check = checks[key]
  if (check === undefined) throw new Error(`unknown check ${key}; known: ${Object.keys(checks).join(", ")}`)
  const endpoints = check.endpoints()
  if (endpoints.length === 0) {
    console.log(`  ${check.name.padEnd(15)} not configured (${check.variable} unset)`)
    if (check.required) failed = true
    continue
  }
  const results = await Promise.all(endpoints.map(({ host, port }) => reachable(host, port)))
  const where = endpoints.map(({ host, port }) => `${host}:${port}`).join(",")
  if (results.every(Boolean)) {
    console.log(`  ${check.name.padEnd(15)} ${where} reachable`)
  } else if (check.required) {
    console.log(`  ${check.name.padEnd(15)} ${where} NOT reachable: start it (make infra-up) or set ${check.variable}`)
    failed = true
  } else {
    console.log(`  ${check.name.padEnd(15)} ${where} not reachable: the services run without it (${check.variable})`)
  }
}
if (failed) process.exit(1)
