/**
 * CPU each platform process spent during a run, read from /proc/<pid>/stat (user + system time of every thread)
 * before and after, and divided by the successful requests (or confirmed orders) of the run.
 */
import { discoverPlatform, type Platform } from "./platform.ts"
import { cpuMillis, loadAverage, ownCpuMillisWithChildren } from "./proc.ts"
import { serverProcesses, type Tracked } from "./servers.ts"

export interface CpuLine {
  readonly name: string
  readonly cpuMs: number
  readonly shared: boolean
  readonly processes: number
}

export interface CpuReading {
  readonly seconds: number
  readonly lines: ReadonlyArray<CpuLine>
  /** The load generator's own CPU (this process, and wrk when it ran): it shares the machine with the platform. */
  readonly generatorMs: number
  /** Processes that were gone by the end (restarted, or a backend that closed): their CPU is not counted. */
  readonly vanished: ReadonlyArray<string>
  readonly loadBefore: string
  readonly loadAfter: string
}

const tracked = async (platform: Platform): Promise<Array<Tracked>> => [
  ...platform.processes.map((p) => ({ pid: p.pid, name: p.name, shared: false })),
  ...await serverProcesses(platform)
]

/** Starts measuring; `stop` reads again and tells what each process spent in between. */
export const startCpuMeter = async (platform: Platform, gatewayUrl: string) => {
  const before = new Map<number, { readonly item: Tracked; readonly ms: number }>()
  for (const item of await tracked(platform)) {
    const ms = cpuMillis(item.pid)
    if (ms !== undefined) before.set(item.pid, { item, ms })
  }
  const loadBefore = loadAverage()
  const generatorBefore = ownCpuMillisWithChildren()
  const started = performance.now()
  return {
    stop: async (): Promise<CpuReading> => {
      const seconds = (performance.now() - started) / 1000
      const generatorMs = ownCpuMillisWithChildren() - generatorBefore
      const after = await tracked(discoverPlatform(gatewayUrl))
      const byName = new Map<string, { cpuMs: number; shared: boolean; processes: number }>()
      const add = (item: Tracked, ms: number) => {
        const line = byName.get(item.name) ?? { cpuMs: 0, shared: item.shared, processes: 0 }
        byName.set(item.name, { cpuMs: line.cpuMs + ms, shared: item.shared, processes: line.processes + 1 })
      }
      const vanished: Array<string> = []
      for (const { item, ms } of before.values()) {
        const now = cpuMillis(item.pid)
        if (now === undefined) vanished.push(`${item.name} (pid ${item.pid})`)
        else add(item, now - ms)
      }
      // Started during the run (a backend opened by a pool, a restarted service): all of its CPU is the run's.
      for (const item of after) {
        if (before.has(item.pid)) continue
        const now = cpuMillis(item.pid)
        if (now !== undefined) add(item, now)
      }
      const lines = [...byName.entries()].map(([name, line]) => ({ name, ...line }))
        .toSorted((a, b) => Number(a.shared) - Number(b.shared) || b.cpuMs - a.cpuMs)
      return {
        seconds,
        lines,
        generatorMs,
        vanished,
        loadBefore,
        loadAfter: loadAverage()
      }
    }
  }
}

const perUnit = (ms: number, count: number) => {
  if (count === 0) return "-"
  const value = ms / count
  return value < 1 ? `${(value * 1000).toFixed(0)} us` : `${value.toFixed(2)} ms`
}

/** A table: each process's CPU in total, per unit (request, order) and as a share of one core. */
export const formatCpu = (reading: CpuReading, count: number, unit: string) => {
  const header = `${"process".padEnd(40)} ${"cpu ms".padStart(9)} ${`per ${unit}`.padStart(12)} ${"core %".padStart(7)}`
  const row = (name: string, ms: number) =>
    `${name.padEnd(40)} ${ms.toFixed(0).padStart(9)} ${perUnit(ms, count).padStart(12)} ${
      ((ms / (reading.seconds * 1000)) * 100).toFixed(0).padStart(6)
    }%`
  const own = reading.lines.filter((line) => !line.shared)
  const total = own.reduce((sum, line) => sum + line.cpuMs, 0)
  const lines = [
    `CPU from /proc over ${
      reading.seconds.toFixed(1)
    } s, ${count} ${unit}s; load average ${reading.loadBefore} before, ${reading.loadAfter} after`,
    header,
    ...own.map((line) =>
      row(line.processes > 1 ? `${line.name} (${line.processes} processes)` : line.name, line.cpuMs)
    ),
    row("platform total", total),
    ...reading.lines.filter((line) => line.shared).map((line) =>
      row(`${line.name} (shared${line.processes > 1 ? `, ${line.processes} processes` : ""})`, line.cpuMs)
    ),
    row("load generator (this process, wrk)", reading.generatorMs)
  ]
  if (reading.vanished.length > 0) lines.push(`not counted, gone before the end: ${reading.vanished.join(", ")}`)
  return lines.join("\n")
}
