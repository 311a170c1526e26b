/**
 * What `npm start` costs this machine: how long it takes to be healthy from an empty data folder, the memory of
 * every process it runs, and the CPU they spend while nothing happens.
 *
 *   npm run bench:footprint [-- --idle 30 --port-offset 5000]
 *   POSTGRES_URL=postgres://postgres@127.0.0.1:5432 REDIS_URL=redis://127.0.0.1:6379 npm run bench:footprint
 *
 * It runs `npm start` itself (npm's own process included) with a fresh data folder, waits until the launcher says
 * every service is healthy, lets it settle, then reads /proc: resident (RSS) and proportional (PSS: shared pages
 * divided among the processes sharing them, so the sum is what the platform really occupies) memory per process,
 * and CPU over `--idle` seconds. Targets: healthy in < 10 s, < 1.5 GB in total (PSS), idle CPU < 5 % of a core.
 * Exits 1 when the platform did not become healthy, or with --check when a target is not met.
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { launchPlatform } from "./lib/launch.ts"
import { discoverPlatform } from "./lib/platform.ts"
import { commandLine, cpuMillis, descendantsOf, loadAverage, memoryOf } from "./lib/proc.ts"

const { values } = parseArgs({
  options: {
    "port-offset": { type: "string", default: process.env.PORT_OFFSET ?? "5000" },
    idle: { type: "string", default: "30" },
    settle: { type: "string", default: "5" },
    check: { type: "boolean", default: false }
  }
})
const idleS = Math.min(Math.max(Number(values.idle), 1), 600)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

console.log(`machine: load average ${loadAverage()}, Node ${process.version}`)
const launched = await launchPlatform({ portOffset: Number(values["port-offset"]), viaNpm: true })
try {
  const healthyS = launched.healthyAfterMs / 1000
  const gatewayHealth = await fetch(`${launched.gatewayUrl}/healthz`).then((r) => r.status, () => 0)
  const platform = discoverPlatform(launched.gatewayUrl)
  console.log(`healthy after ${healthyS.toFixed(1)} s from an empty data folder (gateway /healthz: ${gatewayHealth})`)
  await sleep(Number(values.settle) * 1000)

  // every process `npm start` runs: npm, the launcher, the services, the embedded databases
  const names = new Map(platform.processes.map((p) => [p.pid, p.name]))
  const root = launched.child.pid!
  const tree = [root, ...descendantsOf(root)]
  const label = (pid: number) => {
    const known = names.get(pid)
    if (known !== undefined) return known
    const args = commandLine(pid).join(" ")
    if (args.includes("scripts/start.ts")) return "launcher (scripts/start.ts)"
    if (args.includes("npm")) return "npm"
    return args.slice(0, 40) || `pid ${pid}`
  }
  const heapOf = new Map<string, number>()
  for (const service of new Set(platform.processes.map((p) => p.service))) {
    for (const url of await platform.adminUrls(service)) {
      const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => "")
      const heap = /^nodejs_heap_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1]
      if (heap !== undefined) heapOf.set(service, Number(heap))
    }
  }
  // the embedded databases report their own heap and WebAssembly memory once ready
  const marker = "embedded PostgreSQL memory "
  const wasm = readFileSync(launched.log, "utf8").split("\n").flatMap((line) => {
    try {
      const message = (JSON.parse(line) as { message?: unknown }).message
      return typeof message === "string" && message.startsWith(marker)
        ? [JSON.parse(message.slice(marker.length)) as Record<string, number>]
        : []
    } catch {
      return []
    }
  }).at(-1)

  const before = new Map(tree.map((pid) => [pid, cpuMillis(pid) ?? 0]))
  const started = performance.now()
  await sleep(idleS * 1000)
  const elapsedMs = performance.now() - started

  let rss = 0
  let pss = 0
  let idleMs = 0
  console.log(`\n${"process".padEnd(30)} ${"RSS".padStart(8)} ${"PSS".padStart(8)} ${"idle CPU".padStart(9)}  detail`)
  for (const pid of tree) {
    const memory = memoryOf(pid)
    const cpu = (cpuMillis(pid) ?? before.get(pid)!) - before.get(pid)!
    if (memory === undefined) continue
    rss += memory.rss
    pss += memory.pss
    idleMs += cpu
    const name = label(pid)
    const service = platform.processes.find((p) => p.pid === pid)?.service
    const heap = service === undefined ? undefined : heapOf.get(service)
    const detail = heap !== undefined
      ? `V8 heap used ${mb(heap)}`
      : service === "embedded-postgres" && wasm !== undefined
      ? `V8 heap used ${mb(wasm.heapUsed ?? 0)}, WebAssembly and buffers ${mb(wasm.external ?? 0)}`
      : ""
    console.log(
      `${name.padEnd(30)} ${mb(memory.rss).padStart(8)} ${mb(memory.pss).padStart(8)} ${
        `${((cpu / elapsedMs) * 100).toFixed(1)}%`.padStart(9)
      }  ${detail}`
    )
  }
  const idlePercent = (idleMs / elapsedMs) * 100
  console.log(
    `${"total".padEnd(30)} ${mb(rss).padStart(8)} ${mb(pss).padStart(8)} ${`${idlePercent.toFixed(1)}%`.padStart(9)}`
  )
  console.log(
    `(${tree.length} processes; idle CPU over ${(elapsedMs / 1000).toFixed(0)} s; load average now ${loadAverage()})`
  )

  const targets = [
    [`healthy in < 10 s from an empty data folder`, healthyS < 10, `${healthyS.toFixed(1)} s`],
    [`memory < 1.5 GB in total (PSS)`, pss < 1.5 * 1024 ** 3, mb(pss)],
    [`idle CPU < 5 % of a core`, idlePercent < 5, `${idlePercent.toFixed(1)} %`]
  ] as const
  console.log("")
  for (const [name, met, value] of targets) console.log(`target ${name}: ${met ? "met" : "NOT met"} (${value})`)
  if (gatewayHealth !== 200) process.exitCode = 1
  if (values.check && targets.some(([, met]) => !met)) process.exitCode = 1
} finally {
  await launched.stop()
}
