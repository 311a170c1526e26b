/**
 * Starts a platform with `npm start`'s launcher for a bench (`--start`): its own PORT_OFFSET, a fresh data folder,
 * JSON logs into a file, rate limits raised so that the bench measures the platform rather than the limiter. Stops
 * it (SIGTERM, then SIGKILL) when the bench ends, however it ends.
 */
import { Topology } from "@shop/service-defaults/Topology"
import { type ChildProcess, spawn } from "node:child_process"
import { createWriteStream, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { createInterface } from "node:readline"

const root = resolve(import.meta.dirname, "../..")

/** Limits far above what two cores can serve: the bench measures the platform, not the limiter. */
export const benchRateLimits = {
  RATE_LIMIT_CATALOG_READ: "100000000/1m",
  RATE_LIMIT_ORDER_WRITE: "100000000/1m",
  RATE_LIMIT_ORDER_READ: "100000000/1m",
  RATE_LIMIT_ADMIN_WRITE: "100000000/1m"
}

export interface Launched {
  readonly gatewayUrl: string
  readonly log: string
  /** From spawning the launcher until it printed that every service is healthy. */
  readonly healthyAfterMs: number
  readonly child: ChildProcess
  readonly stop: () => Promise<void>
}

export const launchPlatform = async (options: {
  readonly portOffset: number
  readonly env?: Record<string, string>
  /** A data folder to use as is; by default a fresh one that is deleted afterwards. */
  readonly dataDir?: string
  readonly timeoutMs?: number
  /** Run `npm start` itself (npm's process included), rather than the launcher script. */
  readonly viaNpm?: boolean
}): Promise<Launched> => {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "shop-bench-"))
  const log = join(tmpdir(), `shop-bench-${options.portOffset}-${Date.now().toString(36)}.log`)
  const out = createWriteStream(log)
  const started = performance.now()
  const npm = process.env.npm_execpath
  const command = options.viaNpm && npm !== undefined ? [npm, "start"] : [join(root, "scripts/start.ts")]
  const child = spawn(process.execPath, command, {
    cwd: root,
    env: {
      ...process.env,
      ...benchRateLimits,
      PORT_OFFSET: String(options.portOffset),
      DATA_DIR: dataDir,
      LOG_FORMAT: "json",
      ...options.env
    },
    stdio: ["ignore", "pipe", "pipe"],
    // its own process group, so that stopping reaches every process under it: npm does not pass SIGTERM on to the
    // launcher it runs, which would otherwise be left running (and holding this process's pipes open)
    detached: true
  })
  child.stderr.pipe(out)
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // the group is gone already
    }
  }
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once("exit", done))
      signalGroup("SIGTERM")
      const timer = setTimeout(() => signalGroup("SIGKILL"), 20_000)
      await exited
      clearTimeout(timer)
    }
    out.end()
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
  }
  const onSignal = () => void stop().then(() => process.exit(130))
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  const healthy = await new Promise<boolean>((resolveHealthy) => {
    const timer = setTimeout(() => resolveHealthy(false), options.timeoutMs ?? 120_000)
    createInterface({ input: child.stdout }).on("line", (line) => {
      out.write(`${line}\n`)
      const up = line.includes("Shop Mesh is up")
      if (up || line.includes("not healthy after")) {
        clearTimeout(timer)
        resolveHealthy(up)
      }
    })
    child.once("exit", () => {
      clearTimeout(timer)
      resolveHealthy(false)
    })
  })
  const healthyAfterMs = performance.now() - started
  if (!healthy) {
    await stop()
    throw new Error(`the platform did not become healthy; its log: ${log}`)
  }
  return {
    gatewayUrl: `http://127.0.0.1:${Topology.gateway.httpPort + options.portOffset}`,
    log,
    healthyAfterMs,
    child,
    stop
  }
}
