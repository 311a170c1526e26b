import { PgClient } from "@effect/sql-pg"
import { dropRunData, sharedServersEnv, type SharedServersRun } from "@shop/service-defaults/testing/SharedServers"
import { Topology } from "@shop/service-defaults/Topology"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { createInterface } from "node:readline"
import type { CutService, KilledService } from "./ChaosPlan.ts"

const root = resolve(import.meta.dirname, "../..")

/** Every port the launcher opens for a given PORT_OFFSET (services, simulators, mail, embedded PostgreSQL). */
export const platformPorts = (offset: number): ReadonlyArray<number> =>
  [
    Topology.gateway.httpPort,
    Topology.gateway.adminPort,
    Topology.paymentSimulator.httpPort,
    8082,
    8083,
    2525,
    ...(["product", "order", "payment", "notification"] as const).flatMap((
      name
    ) => [Topology[name].grpcPort, Topology[name].adminPort]),
    ...[1, 2, 3, 4, 5].map((i) => 54330 + i)
  ].map((port) => port + offset)

/**
 * The caller's environment without the settings that would take the launcher to shared servers (distributed mode, a
 * real mail server): the checker's platform is its own and disposable, embedded unless it is given a run on the
 * shared servers of its own.
 */
const embeddedOnly = (environment: NodeJS.ProcessEnv) =>
  Object.fromEntries(
    Object.entries(environment).filter(([name]) =>
      ![
        "POSTGRES_URL",
        "REDIS_URL",
        "KAFKA_BROKERS",
        "SMTP_URL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "EMBEDDED_PG_PORT_BASE"
      ].includes(name)
    )
  )

const isFree = (port: number) =>
  new Promise<boolean>((done) => {
    const server = createServer()
    server.once("error", () => done(false))
    server.listen(port, "0.0.0.0", () => server.close(() => done(true)))
  })

/** The ports of `offset` that something already listens on. */
export const busyPorts = async (offset: number) => {
  const ports = platformPorts(offset)
  const free = await Promise.all(ports.map(isFree))
  return ports.filter((_, i) => !free[i])
}

/**
 * The platform as `npm start` runs it, on ports shifted by `offset`, with its logs in a fresh folder: embedded (its
 * databases in that folder), or distributed on the machine's PostgreSQL and Redis, in databases and keys of its own.
 */
export interface Platform {
  readonly offset: number
  readonly dataDir: string
  /** Where its data lives: the data folder, or the shared servers' run. */
  readonly storage: string
  readonly gateway: string
  readonly simulator: string
  /** The notification service's HTTP API: the local mailbox is `${notifications}/mail`. */
  readonly notifications: string
  /** Where the launcher's output (every service's log lines) is written. */
  readonly logFile: string
  /** The PID of the running process of `name`, from the launcher's start lines; undefined while it is down. */
  readonly pidOf: (name: string) => number | undefined
  /** SIGKILLs `service` if it is running; the PID killed, or undefined when it was down already. */
  readonly kill9: (service: KilledService) => number | undefined
  /**
   * Distributed only (undefined embedded): terminates, from the server's side, every connection to `service`'s
   * database, the service left running; how many there were.
   */
  readonly cutConnections: ((service: CutService) => Promise<number>) | undefined
  readonly tail: () => string
  /**
   * Stops the launcher (Ctrl-C) and everything it started; the data folder (and a distributed run's databases and
   * Redis keys) are removed unless `keepData`.
   */
  readonly stop: (options?: { readonly keepData?: boolean }) => Promise<number | null>
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

interface StartLine {
  readonly service: "launcher"
  readonly process: string
  readonly pid: number
}

const startLine = (line: string): StartLine | undefined => {
  if (!line.startsWith("{") || !line.includes("\"launcher\"")) return undefined
  try {
    const parsed = JSON.parse(line) as Partial<StartLine>
    return parsed.service === "launcher" && typeof parsed.process === "string" && typeof parsed.pid === "number"
      ? parsed as StartLine
      : undefined
  } catch {
    return undefined
  }
}

export const startPlatform = async (
  offset: number,
  env: Readonly<Record<string, string>>,
  { servers, startTimeoutMs = 150_000 }: {
    readonly startTimeoutMs?: number
    readonly servers?: SharedServersRun | undefined
  } = {}
): Promise<Platform> => {
  const busy = await busyPorts(offset)
  if (busy.length > 0) throw new Error(`PORT_OFFSET ${offset}: ports already in use: ${busy.join(", ")}`)
  const dataDir = mkdtempSync(join(tmpdir(), "shop-mesh-chaos-"))
  const logFile = join(dataDir, "platform.log")
  const log = createWriteStream(logFile)
  const pids = new Map<string, number>()
  const recent: Array<string> = []
  const launcher: ChildProcess = spawn(process.execPath, [join(root, "scripts/start.ts")], {
    cwd: root,
    env: {
      ...embeddedOnly(process.env),
      ...(servers === undefined ? {} : sharedServersEnv(servers)),
      ...env,
      PORT_OFFSET: String(offset),
      DATA_DIR: dataDir,
      LOG_FORMAT: "json"
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let up = false
  // If this process ends first (a test runner's timeout, a crash), the launcher still stops what it started.
  const stopOnExit = () => launcher.kill("SIGINT")
  process.once("exit", stopOnExit)
  const exited = new Promise<number | null>((done) =>
    launcher.once("exit", (code) => {
      process.off("exit", stopOnExit)
      done(code)
    })
  )
  const ready = new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform not up after ${startTimeoutMs} ms`)), startTimeoutMs)
    const onLine = (line: string) => {
      log.write(`${line}\n`)
      recent.push(line)
      if (recent.length > 200) recent.shift()
      const started = startLine(line)
      if (started !== undefined) pids.set(started.process, started.pid)
      if (line.includes("Shop Mesh is up")) {
        up = true
        clearTimeout(timer)
        resolveReady()
      } else if (line.includes("not healthy after")) {
        clearTimeout(timer)
        reject(new Error(line))
      }
    }
    createInterface({ input: launcher.stdout! }).on("line", onLine)
    createInterface({ input: launcher.stderr! }).on("line", onLine)
    void exited.then((code) => up || reject(new Error(`launcher exited with ${code}`)))
  })

  // One connection to the server for all of the run's cuts, opened at the first and closed when the platform stops.
  const cutter = servers === undefined
    ? undefined
    : ManagedRuntime.make(PgClient.layer({ url: Redacted.make(servers.postgresUrl), maxConnections: 1 }))

  const stop = async (options: { readonly keepData?: boolean } = {}) => {
    await cutter?.dispose()
    if (launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill("SIGINT")
      // The launcher gives its children 10 s after SIGTERM; past a minute it is stuck.
      const timer = setTimeout(() => launcher.kill("SIGKILL"), 60_000)
      await exited
      clearTimeout(timer)
    }
    await new Promise<void>((done) => log.end(done))
    if (options.keepData !== true) {
      rmSync(dataDir, { recursive: true, force: true })
      if (servers !== undefined) await Effect.runPromise(dropRunData(servers))
    }
    return launcher.exitCode
  }

  try {
    await ready
  } catch (error) {
    await stop({ keepData: true })
    throw new Error(`${String(error)}\n(logs: ${logFile})\n${recent.slice(-40).join("\n")}`, { cause: error })
  }

  const pidOf = (name: string) => {
    const pid = pids.get(name)
    return pid !== undefined && alive(pid) ? pid : undefined
  }
  return {
    offset,
    dataDir,
    storage: servers === undefined
      ? dataDir
      : `${dataDir} (logs); databases shop_*${servers.databaseSuffix} and Redis keys ${servers.redisKeyPrefix}*`,
    gateway: `http://127.0.0.1:${Topology.gateway.httpPort + offset}`,
    simulator: `http://127.0.0.1:${Topology.paymentSimulator.httpPort + offset}`,
    notifications: `http://127.0.0.1:${8083 + offset}`,
    logFile,
    pidOf,
    kill9: (service) => {
      const pid = pidOf(service)
      if (pid === undefined) return undefined
      process.kill(pid, "SIGKILL")
      return pid
    },
    cutConnections: servers === undefined || cutter === undefined
      ? undefined
      : (service) => cutter.runPromise(cutConnections(servers, service)),
    tail: () => recent.join("\n"),
    stop
  }
}

/** Terminates every backend of `service`'s database of the run; how many it terminated. */
const cutConnections = (servers: SharedServersRun, service: CutService) =>
  Effect.orDie(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Materialized first: PostgreSQL may evaluate a WHERE's conditions in any order, and no backend of another
    // database may be terminated.
    const [row] = yield* sql<{ cut: number }>`WITH victims AS MATERIALIZED (
        SELECT pid FROM pg_stat_activity
        WHERE datname = ${Topology[service].database + servers.databaseSuffix} AND pid <> pg_backend_pid())
      SELECT (count(*) FILTER (WHERE pg_terminate_backend(pid)))::int AS cut FROM victims`
    return row?.cut ?? 0
  }))
