/**
 * Finds a running platform from the outside, starting at its gateway's port: the process listening there, its
 * parent (the `npm start` launcher) and every process the launcher runs. Names come from their command lines,
 * replicas from the `SHOP_REPLICA` the launcher gives them, ports from their sockets, and settings (event log,
 * Kafka, Redis) from the environment they were started with. Nothing is guessed from defaults.
 */
import { processOf } from "../../scripts/service-bundles.ts"
import { commandLine, descendantsOf, environmentOf, listenerOf, parentOf, portsOf, tcpSockets } from "./proc.ts"

export interface PlatformProcess {
  readonly pid: number
  /** `gateway`, `order`, `payment-sim`, `embedded-postgres`, ...; replicas after the first get `#2`, `#3`. */
  readonly name: string
  readonly service: string
  readonly listening: ReadonlyArray<number>
}

export interface Platform {
  /** The launcher, when the gateway was started by `npm start`. */
  readonly launcherPid: number | undefined
  readonly processes: ReadonlyArray<PlatformProcess>
  /** Base URLs of every gateway's REST API. */
  readonly gateways: ReadonlyArray<string>
  /** `http://127.0.0.1:<admin port>` of every process of a service that serves /metrics. */
  readonly adminUrls: (service: string) => Promise<ReadonlyArray<string>>
  /** A setting of the first process of `service` that has it. */
  readonly setting: (service: string, variable: string) => string | undefined
  /** Embedded when the platform's own processes serve its databases. */
  readonly mode: "embedded" | "distributed" | "unknown"
}

const serviceOf = (args: ReadonlyArray<string>): string | undefined => {
  for (const arg of args) {
    if (arg.endsWith("scripts/start.ts")) return "launcher"
    // a service, a simulator or the embedded databases, from its sources or the launcher's bundle
    const name = processOf(arg)
    if (name !== undefined) return name
  }
  return undefined
}

const answersMetrics = (port: number) =>
  fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) })
    .then(async (response) => response.ok && (await response.text()).includes("# TYPE"), () => false)

export const discoverPlatform = (gatewayUrl: string): Platform => {
  const url = new URL(gatewayUrl)
  const gatewayPort = Number(url.port || 80)
  const gatewayPid = listenerOf(gatewayPort)
  if (gatewayPid === undefined) {
    throw new Error(`nothing listens on ${gatewayUrl}: start the platform first (npm start), or pass --start`)
  }
  const parent = parentOf(gatewayPid)
  const launcherPid = parent !== undefined && serviceOf(commandLine(parent)) === "launcher" ? parent : undefined
  const pids = launcherPid === undefined ? [gatewayPid] : descendantsOf(launcherPid)
  const sockets = tcpSockets()
  const seen = new Map<string, number>()
  const processes = pids.flatMap((pid): Array<PlatformProcess> => {
    const args = commandLine(pid)
    const service = serviceOf(args)
    if (service === undefined || service === "launcher") return [] // npm, a shell: not part of the platform
    const base = service
    const replica = Number(environmentOf(pid, "SHOP_REPLICA") ?? (seen.get(base) ?? 0) + 1)
    seen.set(base, replica)
    return [{
      pid,
      service,
      name: replica === 1 ? base : `${base}#${replica}`,
      listening: portsOf(pid, sockets).listening
    }]
  })
  const setting = (service: string, variable: string) =>
    processes.filter((p) => p.service === service).map((p) => environmentOf(p.pid, variable)).find((v) => v)
  const adminUrls = async (service: string) => {
    const found: Array<string> = []
    for (const p of processes.filter((candidate) => candidate.service === service)) {
      for (const port of p.listening) if (await answersMetrics(port)) found.push(`http://127.0.0.1:${port}`)
    }
    return found
  }
  const gateways = processes.filter((p) => p.service === "gateway").flatMap((p) => {
    const http = environmentOf(p.pid, "HTTP_PORT")
    return http === undefined ? [] : [`http://${url.hostname}:${http}`]
  })
  // A server reached over its Unix socket (the host a directory) has no port in the URL: PostgreSQL's own then
  const databaseUrl = new URL(setting("product", "DATABASE_URL") ?? "postgres://x:0/")
  const overUnixSocket = databaseUrl.hostname.startsWith("%2F") || databaseUrl.searchParams.get("host")?.startsWith("/")
  const databasePort = Number(databaseUrl.port || (overUnixSocket ? 5432 : 0))
  const databaseServer = databasePort > 0 ? listenerOf(databasePort) : undefined
  const mode = databaseServer === undefined
    ? "unknown"
    : processes.some((p) => p.pid === databaseServer)
    ? "embedded"
    : "distributed"
  return {
    launcherPid,
    mode,
    processes,
    gateways: gateways.length > 0 ? gateways : [gatewayUrl.replace(/\/$/, "")],
    adminUrls,
    setting
  }
}
