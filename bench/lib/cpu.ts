/**
 * CPU each platform process spent during a run, read from /proc/<pid>/stat (user + system time of every thread)
 * before and after, and divided by the successful requests (or confirmed orders) of the run; with the read/write
 * system calls and wake-ups the kernel counted for it meanwhile (see `kernelCounts`), which a busy machine does not
 * inflate as it does CPU time.
 */
import { discoverPlatform, type Platform } from "./platform.ts"
import { cpuMillis, kernelCounts, loadAverage, ownCpuMillisWithChildren } from "./proc.ts"
import { serverProcesses, type Tracked } from "./servers.ts"

export interface CpuLine {
  readonly name: string
  readonly cpuMs: number
  readonly readWrites: number
  readonly wakeUps: number
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

/**
 * The simulators of the parties outside the platform (the card processor, the SMS gateway): they run beside it so
 * that a bench needs nothing else, but in a deployment their work is the processor's, not the platform's. Printed,
 * not summed into the platform's total (as the performance issue's breakdown did: its 37 ms per order were
 * PostgreSQL, order, product, payment, notification and gateway).
 */
const simulatedParties: Record<string, string> = {
  "payment-sim": "card processor",
  "sms-sim": "SMS gateway"
}
const simulatedPartyOf = (name: string) => simulatedParties[name.replace(/#\d+$/, "")]

const tracked = async (platform: Platform): Promise<Array<Tracked>> => [
  ...platform.processes.map((p) => ({ pid: p.pid, name: p.name, shared: false })),
  ...await serverProcesses(platform)
]

interface Spent {
  readonly ms: number
  readonly readWrites: number
  readonly wakeUps: number
}

/** What a process has spent since it started; undefined once it is gone. */
const spentSoFar = (pid: number): Spent | undefined => {
  const ms = cpuMillis(pid)
  const counts = kernelCounts(pid)
  return ms === undefined || counts === undefined ? undefined : { ms, ...counts }
}

/** Starts measuring; `stop` reads again and tells what each process spent in between. */
export const startCpuMeter = async (platform: Platform, gatewayUrl: string) => {
  const before = new Map<number, { readonly item: Tracked; readonly spent: Spent }>()
  for (const item of await tracked(platform)) {
    const spent = spentSoFar(item.pid)
    if (spent !== undefined) before.set(item.pid, { item, spent })
  }
  const loadBefore = loadAverage()
  const generatorBefore = ownCpuMillisWithChildren()
  const started = performance.now()
  return {
    stop: async (): Promise<CpuReading> => {
      const seconds = (performance.now() - started) / 1000
      const generatorMs = ownCpuMillisWithChildren() - generatorBefore
      const after = await tracked(discoverPlatform(gatewayUrl))
      const byName = new Map<string, Omit<CpuLine, "name">>()
      const add = (item: Tracked, spent: Spent) => {
        const line = byName.get(item.name) ?? { cpuMs: 0, readWrites: 0, wakeUps: 0, shared: item.shared, processes: 0 }
        byName.set(item.name, {
          cpuMs: line.cpuMs + spent.ms,
          readWrites: line.readWrites + spent.readWrites,
          wakeUps: line.wakeUps + spent.wakeUps,
          shared: item.shared,
          processes: line.processes + 1
        })
      }
      const vanished: Array<string> = []
      for (const { item, spent } of before.values()) {
        const now = spentSoFar(item.pid)
        if (now === undefined) vanished.push(`${item.name} (pid ${item.pid})`)
        else {
          add(item, {
            ms: now.ms - spent.ms,
            readWrites: now.readWrites - spent.readWrites,
            wakeUps: now.wakeUps - spent.wakeUps
          })
        }
      }
      // Started during the run (a backend opened by a pool, a restarted service): all it spent is the run's.
      for (const item of after) {
        if (before.has(item.pid)) continue
        const now = spentSoFar(item.pid)
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

const countPerUnit = (value: number, count: number) => count === 0 ? "-" : (value / count).toFixed(1)

/**
 * A table: each process's CPU in total, per unit (request, order) and as a share of one core, then its read/write
 * system calls and wake-ups per unit.
 */
export const formatCpu = (reading: CpuReading, count: number, unit: string) => {
  const header = `${"process".padEnd(40)} ${"cpu ms".padStart(9)} ${`per ${unit}`.padStart(12)} ${
    "core %".padStart(7)
  } ${"rd+wr".padStart(9)} ${"wake-ups".padStart(9)}`
  const row = (name: string, line: Pick<CpuLine, "cpuMs"> & Partial<CpuLine>) =>
    `${name.padEnd(40)} ${line.cpuMs.toFixed(0).padStart(9)} ${perUnit(line.cpuMs, count).padStart(12)} ${
      ((line.cpuMs / (reading.seconds * 1000)) * 100).toFixed(0).padStart(6)
    }%${
      line.readWrites === undefined || line.wakeUps === undefined
        ? ""
        : ` ${countPerUnit(line.readWrites, count).padStart(9)} ${countPerUnit(line.wakeUps, count).padStart(9)}`
    }`
  const own = reading.lines.filter((line) => !line.shared && simulatedPartyOf(line.name) === undefined)
  const sum = (key: "cpuMs" | "readWrites" | "wakeUps") => own.reduce((total, line) => total + line[key], 0)
  const lines = [
    `CPU from /proc over ${
      reading.seconds.toFixed(1)
    } s, ${count} ${unit}s; load average ${reading.loadBefore} before, ${reading.loadAfter} after;` +
    ` read/write system calls (rd+wr) and wake-ups per ${unit}`,
    header,
    ...own.map((line) => row(line.processes > 1 ? `${line.name} (${line.processes} processes)` : line.name, line)),
    row("platform total", { cpuMs: sum("cpuMs"), readWrites: sum("readWrites"), wakeUps: sum("wakeUps") }),
    ...reading.lines.flatMap((line) => {
      const party = simulatedPartyOf(line.name)
      return party === undefined ? [] : [row(`${line.name} (${party}, outside)`, line)]
    }),
    ...reading.lines.filter((line) => line.shared).map((line) =>
      row(`${line.name} (shared${line.processes > 1 ? `, ${line.processes} processes` : ""})`, line)
    ),
    row("load generator (this process, wrk)", { cpuMs: reading.generatorMs })
  ]
  if (reading.vanished.length > 0) lines.push(`not counted, gone before the end: ${reading.vanished.join(", ")}`)
  return lines.join("\n")
}
