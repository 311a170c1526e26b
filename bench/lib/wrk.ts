/**
 * wrk as the load generator of a closed loop of GETs (`--generator wrk`): a C program costs a fraction of the CPU
 * per request that the Node generator does, so on a shared two-core machine more of the cores go to the platform.
 * The same rules hold: loopback only, bounded in time, and only expected statuses count: a Lua script counts every
 * answer by status (and wrk's socket errors and timeouts), and anything else than 200 fails the run.
 *
 * Limits: GET only, one gateway, one path list (the scenario's first `paths` requests, sent in turn), no body checks (a scenario
 * with a check must use the Node generator), latency from send (closed loop).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { assertLoopback, type LoadResult, type Scenario } from "./load.ts"

const run = promisify(execFile)

/** The Lua script: requests in turn from the list, statuses counted per thread and printed as JSON at the end. */
const script = (paths: ReadonlyArray<string>) => `
local paths = { ${paths.map((path) => JSON.stringify(path)).join(", ")} }
local threads = {}
function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end
local i = 0
counts = {}
function init(args)
  i = offset * 7919
end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for s, n in pairs(thread:get("counts") or {}) do merged[s] = (merged[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(merged) do table.insert(parts, string.format('"%s":%d', s, n)) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"duration_us":%d,"requests":%d,"statuses":{%s},"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"p50":%d,"p95":%d,"p99":%d,"max":%d}\\n',
    summary.duration, summary.requests, table.concat(parts, ","), e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
`

interface WrkReport {
  readonly duration_us: number
  readonly requests: number
  readonly statuses: Record<string, number>
  readonly errors: Record<string, number>
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

/** Runs wrk against one gateway with the scenario's paths; the result reads like the Node generator's. */
export const runWrk = async (
  scenario: Scenario,
  options: {
    readonly durationS: number
    readonly connections: number
    readonly threads: number
    readonly paths: number
  }
): Promise<LoadResult> => {
  if (scenario.check !== undefined) throw new Error(`${scenario.name} checks bodies: run it with --generator node`)
  if (scenario.bases.length !== 1) throw new Error("wrk loads one gateway: run several gateways with --generator node")
  const base = scenario.bases[0]!
  assertLoopback(base)
  const paths = Array.from({ length: options.paths }, (_, i) => scenario.next(i)).map((request) => {
    if (request.method !== "GET" || request.body !== undefined || request.headers !== undefined) {
      throw new Error(`${scenario.name}: wrk sends plain GETs only`)
    }
    return request.path
  })
  const dir = mkdtempSync(join(tmpdir(), "shop-wrk-"))
  try {
    const file = join(dir, "paths.lua")
    writeFileSync(file, script([...new Set(paths)]))
    const { stdout } = await run("wrk", [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      "--timeout",
      "15s",
      "-s",
      file,
      base
    ], { maxBuffer: 16 * 1024 * 1024 })
    const line = stdout.split("\n").find((text) => text.startsWith("WRK_RESULT "))
    if (line === undefined) throw new Error(`wrk printed no result:\n${stdout}`)
    const report = JSON.parse(line.slice("WRK_RESULT ".length)) as WrkReport
    const ok = report.statuses["200"] ?? 0
    const problems: Record<string, number> = {}
    for (const [status, n] of Object.entries(report.statuses)) if (status !== "200") problems[`status ${status}`] = n
    for (const [kind, n] of Object.entries(report.errors)) if (n > 0) problems[`error ${kind}`] = n
    const durationS = report.duration_us / 1e6
    const ms = (us: number) => us / 1000
    return {
      name: scenario.name,
      mode: `closed loop, ${options.connections} connections, wrk -t${options.threads}`,
      durationS,
      sent: report.requests,
      ok,
      okPerSecond: ok / durationS,
      statuses: report.statuses,
      problems,
      latency: { p50: ms(report.p50), p95: ms(report.p95), p99: ms(report.p99), max: ms(report.max) },
      latencyByTag: {},
      sendLagP99: 0,
      failed: Object.keys(problems).length > 0 || ok === 0
    }
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") {
      throw new Error("wrk is not installed (apt-get install wrk), or use --generator node", { cause: error })
    }
    throw error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
