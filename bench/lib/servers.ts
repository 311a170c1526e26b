/**
 * The shared servers a distributed platform uses, seen from /proc: the PostgreSQL backends that serve the platform's
 * own connections (over TCP matched by the client port of each connection its processes hold; over the server's Unix
 * socket, which has no port, by the platform's databases), the PostgreSQL server's
 * background processes, and Redis. On a machine shared with other work, the background processes and Redis also
 * serve others: they are reported, but labelled as shared.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import type { Platform } from "./platform.ts"
import { commandLine, environmentOf, listenerOf, portsOf, tcpSockets } from "./proc.ts"

export interface Tracked {
  readonly pid: number
  readonly name: string
  /** Serves other clients of the machine too. */
  readonly shared: boolean
}

interface Backend {
  readonly pid: number
  readonly datname: string | null
  readonly backendType: string
  readonly clientPort: number | null
}

const portOf = (url: string | undefined) => {
  if (url === undefined) return undefined
  try {
    const parsed = new URL(url)
    return Number(parsed.port || (parsed.protocol.startsWith("redis") ? 6379 : 5432))
  } catch {
    return undefined
  }
}

const databaseOf = (url: string | undefined) => {
  if (url === undefined) return []
  try {
    return [decodeURIComponent(new URL(url).pathname.slice(1))]
  } catch {
    return []
  }
}

/** Every database the platform's processes were given (each service's own and the event log). */
const platformDatabases = (platform: Platform) =>
  new Set(
    platform.processes.flatMap((p) => [
      ...databaseOf(environmentOf(p.pid, "DATABASE_URL")),
      ...databaseOf(environmentOf(p.pid, "EVENT_LOG_URL"))
    ])
  )

const activity = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<Backend>`
      SELECT pid, datname, backend_type AS "backendType", client_port AS "clientPort" FROM pg_stat_activity
      WHERE pid <> pg_backend_pid()`
  }).pipe(
    Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1, applicationName: "bench" })),
    Effect.orDie
  )

/**
 * The server processes working for `platform` right now. Backends come and go: call it at the start and at the end
 * of a run, and sum what both found.
 */
export const serverProcesses = async (platform: Platform): Promise<Array<Tracked>> => {
  const own = new Set(platform.processes.map((p) => p.pid))
  const tracked: Array<Tracked> = []
  const databaseUrl = platform.setting("product", "DATABASE_URL")
  const pgPort = portOf(databaseUrl)
  const postmaster = pgPort === undefined ? undefined : listenerOf(pgPort)
  // Embedded databases run inside the platform's own processes and are counted there.
  if (databaseUrl !== undefined && postmaster !== undefined && !own.has(postmaster)) {
    const sockets = tcpSockets()
    const clientPorts = new Set(platform.processes.flatMap((p) => portsOf(p.pid, sockets).connected))
    const databases = platformDatabases(platform)
    const backends = await Effect.runPromise(activity(databaseUrl))
    for (const backend of backends) {
      if (backend.backendType === "client backend") {
        // A Unix socket's client port reads -1 (null when the row is not visible to the role)
        const overUnixSocket = backend.clientPort === -1 && databases.has(backend.datname ?? "")
        if (overUnixSocket || (backend.clientPort !== null && clientPorts.has(backend.clientPort))) {
          tracked.push({ pid: backend.pid, name: `postgres ${backend.datname ?? "?"}`, shared: false })
        }
      } else {
        tracked.push({ pid: backend.pid, name: "postgres background", shared: true })
      }
    }
  }
  const redisPort = portOf(platform.setting("gateway", "REDIS_URL") ?? platform.setting("product", "REDIS_URL"))
  const redis = redisPort === undefined ? undefined : listenerOf(redisPort)
  if (redis !== undefined && commandLine(redis).some((arg) => arg.includes("redis"))) {
    tracked.push({ pid: redis, name: "redis", shared: true })
  }
  return tracked
}
