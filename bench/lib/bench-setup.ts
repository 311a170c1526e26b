/**
 * What every bench shares: the command line (which platform, closed or open loop), starting or finding the
 * platform, tokens, reading metrics, and the verdict that becomes the exit code.
 */
import { Topology } from "@shop/service-defaults/Topology"
import { execFileSync } from "node:child_process"
import { resolve } from "node:path"
import { parseArgs, type ParseArgsConfig } from "node:util"
import { type Launched, launchPlatform } from "./launch.ts"
import { discoverPlatform, type Platform } from "./platform.ts"
import { loadAverage } from "./proc.ts"

const root = resolve(import.meta.dirname, "../..")

export const commonOptions = {
  url: { type: "string" },
  start: { type: "boolean", default: false },
  "port-offset": { type: "string" },
  mode: { type: "string", default: "closed" },
  duration: { type: "string", default: "20" },
  rate: { type: "string" },
  k6: { type: "boolean", default: false },
  "rate-scale": { type: "string", default: "1" }
} as const satisfies ParseArgsConfig["options"]

export const parse = <O extends ParseArgsConfig["options"]>(options: O) =>
  parseArgs({ options: { ...commonOptions, ...options }, strict: true }).values

/** A positive number from the command line, or a clear error. */
export const positive = (name: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER) => {
  const value = Number(text)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, not ${text}`)
  return Math.min(value, max)
}

export interface BenchPlatform {
  readonly gatewayUrl: string
  readonly platform: Platform
  readonly launched: Launched | undefined
  readonly stop: () => Promise<void>
}

/**
 * The platform to measure: started here with `--start` (embedded, or on POSTGRES_URL / REDIS_URL / KAFKA_BROKERS
 * when they are set), otherwise the one already running at `--url` (default: the gateway port shifted by
 * PORT_OFFSET, like `npm start` does).
 */
export const benchPlatform = async (
  values: { readonly url?: string | undefined; readonly start?: boolean; readonly "port-offset"?: string | undefined },
  env: Record<string, string> = {}
): Promise<BenchPlatform> => {
  const offset = Number(values["port-offset"] ?? process.env.PORT_OFFSET ?? (values.start ? 5000 : 0))
  let launched: Launched | undefined
  if (values.start) {
    console.log(
      `starting the platform (PORT_OFFSET=${offset}${Object.keys(env).length ? `, ${formatEnv(env)}` : ""})...`
    )
    launched = await launchPlatform({ portOffset: offset, env })
    console.log(`healthy after ${(launched.healthyAfterMs / 1000).toFixed(1)} s; log ${launched.log}`)
  }
  const gatewayUrl = values.url ?? process.env.GATEWAY_URL ?? launched?.gatewayUrl ??
    `http://127.0.0.1:${Topology.gateway.httpPort + offset}`
  const platform = discoverPlatform(gatewayUrl)
  return { gatewayUrl, platform, launched, stop: async () => await launched?.stop() }
}

const formatEnv = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")

/** A development token from scripts/token.ts, or BENCH_TOKEN. */
export const token = (sub: string, roles: ReadonlyArray<string>) =>
  process.env.BENCH_TOKEN ??
    execFileSync(process.execPath, [
      resolve(root, "scripts/token.ts"),
      "--sub",
      sub,
      ...roles.flatMap((role) => ["--role", role])
    ], { encoding: "utf8" }).trim()

/** The values of a metric's series at every URL (each a service's admin port); with `label`, of those that carry it. */
const seriesValues = async (adminUrls: ReadonlyArray<string>, name: string, label?: string) => {
  const values: Array<number> = []
  for (const url of adminUrls) {
    const text = await fetch(`${url}/metrics`).then((response) => response.text())
    for (const line of text.split("\n")) {
      const series = line.slice(0, line.lastIndexOf(" "))
      if (label !== undefined && !series.includes(label)) continue
      if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
        values.push(Number(line.slice(line.lastIndexOf(" ") + 1)))
      }
    }
  }
  return values
}

/**
 * The sum of a counter over every series and every URL (each a service's admin port); with `label` (`outcome="sent"`),
 * over the series that carry it.
 */
export const metricSum = async (adminUrls: ReadonlyArray<string>, name: string, label?: string) =>
  (await seriesValues(adminUrls, name, label)).reduce((sum, value) => sum + value, 0)

/** The largest value of a gauge over every series and every URL; undefined when no URL has it. */
export const metricMax = async (adminUrls: ReadonlyArray<string>, name: string) => {
  const values = await seriesValues(adminUrls, name)
  return values.length === 0 ? undefined : Math.max(...values)
}

/** What the platform is and what the machine was doing, printed above every result. */
export const describeRun = (bench: BenchPlatform) => {
  const counts = new Map<string, number>()
  for (const p of bench.platform.processes) counts.set(p.service, (counts.get(p.service) ?? 0) + 1)
  console.log(
    `platform: ${bench.platform.mode}, ${[...counts].map(([s, n]) => (n > 1 ? `${s} x${n}` : s)).join(", ")}; ` +
      `gateways ${bench.platform.gateways.join(" ")}; launcher pid ${bench.platform.launcherPid ?? "none"}`
  )
  console.log(`machine: load average ${loadAverage()}, Node ${process.version}`)
}

/** Ends the bench: exit code 1 when anything was unexpected, so a run that lied cannot pass. */
export const finish = (problems: ReadonlyArray<string>) => {
  if (problems.length === 0) {
    console.log("\nresult: PASSED (every answer expected)")
  } else {
    console.log(`\nresult: FAILED\n${problems.map((p) => `  - ${p}`).join("\n")}`)
    process.exitCode = 1
  }
}
