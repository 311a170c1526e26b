/**
 * A closed-loop load generator: `connections` workers send requests back to back for `durationS` seconds to
 * loopback only, and every latency is kept, so percentiles are exact rather than estimated from buckets.
 */
import { Agent, request } from "undici"

export interface LoadResult {
  readonly name: string
  readonly requests: number
  readonly rps: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
  readonly failures: number
  readonly statuses: Record<number, number>
}

export interface LoadOptions {
  readonly name: string
  readonly base: string
  readonly durationS: number
  readonly connections: number
  /** The i-th request of the run: method, path and optional JSON body. */
  readonly next: (i: number) => {
    readonly method: "GET" | "POST"
    readonly path: string
    readonly body?: unknown
    readonly headers?: Record<string, string>
  }
}

export const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

const host = (base: string) => new URL(base).hostname
const assertLoopback = (base: string) => {
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host(base))) {
    throw new Error(`load is only ever sent to this machine (loopback), not to ${base}`)
  }
}

export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  assertLoopback(options.base)
  const dispatcher = new Agent({ connections: options.connections, pipelining: 1 })
  const latencies: Array<number> = []
  const statuses: Record<number, number> = {}
  let failures = 0
  let counter = 0
  const started = performance.now()
  const deadline = started + options.durationS * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const { body, headers, method, path } = options.next(counter++)
      const t0 = performance.now()
      try {
        const response = await request(`${options.base}${path}`, {
          method,
          dispatcher,
          headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) })
        })
        await response.body.dump()
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1
        latencies.push(performance.now() - t0)
      } catch {
        failures++
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, worker))
  const elapsedS = (performance.now() - started) / 1000
  await dispatcher.close()
  const sorted = latencies.sort((a, b) => a - b)
  return {
    name: options.name,
    requests: sorted.length,
    rps: sorted.length / elapsedS,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
    failures,
    statuses
  }
}

export const formatResults = (results: ReadonlyArray<LoadResult>) => {
  const lines = ["scenario              req/s   p50 ms   p95 ms   p99 ms   max ms  statuses"]
  for (const r of results) {
    const cells = [r.rps.toFixed(0), r.p50.toFixed(1), r.p95.toFixed(1), r.p99.toFixed(1), r.max.toFixed(1)]
    const statusText = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(" ")
    lines.push(
      `${r.name.padEnd(20)} ${cells.map((c) => c.padStart(7)).join("  ")}  ${statusText}${
        r.failures ? ` failed:${r.failures}` : ""
      }`
    )
  }
  return lines.join("\n")
}
