/**
 * The load generator. Two ways to send, both to loopback only and bounded in time:
 *
 * - closed loop: `connections` workers send back to back; latency is measured from each send. It finds the most a
 *   platform serves at that concurrency, but a slow answer delays the requests behind it (coordinated omission).
 * - open loop: requests are due at a target arrival rate (constant, or ramping through stages like k6's
 *   ramping-arrival-rate) whatever the answers do; latency is measured from the time a request was due, not from
 *   when it could be sent, so a stall shows in the latency of every request it delayed.
 *
 * Only answers with an expected status (2xx unless told otherwise) that pass the scenario's check count as
 * throughput; everything else is counted by status and makes the run fail.
 */
import { Agent, request } from "undici"

export interface BenchRequest {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly body?: unknown
  readonly headers?: Record<string, string>
  /** Groups latencies, like a k6 tag (`endpoint:search`). */
  readonly tag?: string
}

export interface Scenario {
  readonly name: string
  /** Gateways; requests are spread over them round robin. */
  readonly bases: ReadonlyArray<string>
  readonly next: (i: number) => BenchRequest
  readonly expect?: (status: number) => boolean
  /**
   * Reads the body of an expected answer; a returned text is a problem, and the answer does not count. `from` is
   * when the request's latency started (epoch milliseconds): when it was due, in an open loop.
   */
  readonly check?: (body: string, i: number, from: number) => string | undefined
}

export interface Stage {
  readonly durationS: number
  /** Arrivals per second reached at the end of the stage, linearly from the rate before it. */
  readonly target: number
}

export type LoadMode =
  | { readonly kind: "closed"; readonly durationS: number; readonly connections: number }
  | {
    readonly kind: "open"
    readonly startRate: number
    readonly stages: ReadonlyArray<Stage>
    /** Requests in flight at most; the ones due beyond it wait, and their wait counts in their latency. */
    readonly maxInFlight: number
  }

/**
 * The load that warms a platform up before a measured run: the same concurrency, or an open loop's highest rate held
 * for `seconds` (the rate the measurement ends at is the one whose code paths must be hot).
 */
export const warmUpOf = (mode: LoadMode, seconds: number): LoadMode => {
  if (mode.kind === "closed") return { ...mode, durationS: seconds }
  const rate = Math.max(mode.startRate, ...mode.stages.map((stage) => stage.target))
  return { ...mode, startRate: rate, stages: [{ durationS: seconds, target: rate }] }
}

export interface Latency {
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

export interface LoadResult {
  readonly name: string
  readonly mode: string
  readonly durationS: number
  /** Requests due (open loop) or sent (closed loop). */
  readonly sent: number
  /** Expected answers that passed the check: the only ones that count. */
  readonly ok: number
  readonly okPerSecond: number
  readonly statuses: Readonly<Record<string, number>>
  readonly problems: Readonly<Record<string, number>>
  /** Latency of the successful answers, milliseconds: from send (closed) or from the due time (open). */
  readonly latency: Latency
  /** The same per tag of the requests. */
  readonly latencyByTag: Readonly<Record<string, Latency>>
  /** Open loop: how late the generator itself sent, past the due time; large values mean the generator saturated. */
  readonly sendLagP99: number
  readonly failed: boolean
}

const loopback = new Set(["127.0.0.1", "localhost", "::1", "[::1]"])
export const assertLoopback = (base: string) => {
  if (!loopback.has(new URL(base).hostname)) {
    throw new Error(`load is only ever sent to this machine (loopback), not to ${base}`)
  }
}

export const percentile = (sorted: ArrayLike<number>, p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!

/**
 * Due times (milliseconds from the start) of every arrival of an open-loop run. Within a stage the rate moves
 * linearly from r0 to r1 over D seconds, so n(t) = r0 t + (r1 - r0) t² / 2D arrivals are due by t; the j-th is due
 * where n(t) = j.
 */
export const arrivalTimes = (startRate: number, stages: ReadonlyArray<Stage>): Float64Array => {
  const times: Array<number> = []
  let offset = 0
  let rate = startRate
  let cumulative = 0 // arrivals due before the stage (not always a whole number)
  let next = 1 // the next arrival, counted from the start of the run
  for (const stage of stages) {
    const d = stage.durationS
    const r0 = rate
    const r1 = stage.target
    const a = (r1 - r0) / (2 * d)
    const inStage = (r0 + r1) / 2 * d
    for (; next <= cumulative + inStage + 1e-9; next++) {
      const j = next - cumulative
      const t = Math.abs(a) < 1e-12 ? j / r0 : (-r0 + Math.sqrt(Math.max(0, r0 * r0 + 4 * a * j))) / (2 * a)
      times.push((offset + t) * 1000)
    }
    cumulative += inStage
    offset += d
    rate = r1
  }
  return Float64Array.from(times)
}

interface Tally {
  readonly latencies: Array<number>
  readonly byTag: Map<string, Array<number>>
  readonly statuses: Record<string, number>
  readonly problems: Record<string, number>
  ok: number
}

const count = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1)

export const runLoad = async (scenario: Scenario, mode: LoadMode): Promise<LoadResult> => {
  scenario.bases.forEach(assertLoopback)
  const connections = mode.kind === "closed" ? mode.connections : mode.maxInFlight
  const dispatcher = new Agent({ connections, pipelining: 1, headersTimeout: 15_000, bodyTimeout: 15_000 })
  const expect = scenario.expect ?? ((status: number) => status >= 200 && status < 300)
  const tally: Tally = { latencies: [], byTag: new Map(), statuses: {}, problems: {}, ok: 0 }

  /** Sends request i; `from` is when its latency starts. */
  const send = async (i: number, from: number) => {
    const { body, headers, method, path, tag } = scenario.next(i)
    const base = scenario.bases[i % scenario.bases.length]!
    try {
      const response = await request(`${base}${path}`, {
        method,
        dispatcher,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = scenario.check ? await response.body.text() : (await response.body.dump(), "")
      const latency = performance.now() - from
      count(tally.statuses, String(response.statusCode))
      if (!expect(response.statusCode)) return void count(tally.problems, `status ${response.statusCode}`)
      const problem = scenario.check?.(text, i, performance.timeOrigin + from)
      if (problem !== undefined) return void count(tally.problems, problem)
      tally.ok++
      tally.latencies.push(latency)
      if (tag !== undefined) {
        const tagged = tally.byTag.get(tag) ?? []
        tagged.push(latency)
        tally.byTag.set(tag, tagged)
      }
    } catch (error) {
      count(tally.problems, `error ${(error as { code?: string }).code ?? (error as Error).message}`)
    }
  }

  const started = performance.now()
  let sent = 0
  const lags: Array<number> = []
  if (mode.kind === "closed") {
    const deadline = started + mode.durationS * 1000
    const worker = async () => {
      while (performance.now() < deadline) await send(sent++, performance.now())
    }
    await Promise.all(Array.from({ length: mode.connections }, worker))
  } else {
    const due = arrivalTimes(mode.startRate, mode.stages)
    sent = due.length
    let inFlight = 0
    const waiting: Array<number> = []
    let done!: () => void
    const finished = new Promise<void>((resolve) => (done = resolve))
    let completed = 0
    const start = (i: number) => {
      inFlight++
      lags.push(performance.now() - (started + due[i]!))
      void send(i, started + due[i]!).then(() => {
        inFlight--
        completed++
        const queued = waiting.shift()
        if (queued !== undefined) start(queued)
        if (completed === due.length) done()
      })
    }
    let next = 0
    const tick = () => {
      const now = performance.now() - started
      for (; next < due.length && due[next]! <= now; next++) {
        if (inFlight < mode.maxInFlight) start(next)
        else waiting.push(next)
      }
      if (next < due.length) setTimeout(tick, Math.min(4, Math.max(0, due[next]! - now - 1)))
    }
    if (due.length === 0) done()
    else tick()
    await finished
  }
  const durationS = (performance.now() - started) / 1000
  await dispatcher.close()
  const summarize = (latencies: ReadonlyArray<number>): Latency => {
    const sorted = Float64Array.from(latencies).toSorted()
    return {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? 0
    }
  }
  const lagSorted = Float64Array.from(lags).toSorted()
  const plannedS = mode.kind === "closed"
    ? mode.durationS
    : mode.stages.reduce((sum, stage) => sum + stage.durationS, 0)
  return {
    name: scenario.name,
    mode: mode.kind === "closed"
      ? `closed loop, ${mode.connections} connections`
      : `open loop, ${mode.startRate} -> ${mode.stages.map((s) => `${s.target}/s over ${s.durationS} s`).join(" -> ")}`,
    durationS,
    sent,
    ok: tally.ok,
    // Closed loop: over the run. Open loop: over the planned duration, so a backlog drained afterwards adds nothing.
    okPerSecond: tally.ok / (mode.kind === "closed" ? durationS : plannedS),
    statuses: tally.statuses,
    problems: tally.problems,
    latency: summarize(tally.latencies),
    latencyByTag: Object.fromEntries([...tally.byTag].map(([tag, latencies]) => [tag, summarize(latencies)])),
    sendLagP99: percentile(lagSorted, 99),
    failed: Object.keys(tally.problems).length > 0 || tally.ok === 0
  }
}

/** One line per scenario: successful answers per second, latency, statuses, and what went wrong. */
export const formatResults = (results: ReadonlyArray<LoadResult>) => {
  const lines = [
    `${"scenario".padEnd(22)} ${"ok/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${
      "p99 ms".padStart(8)
    } ${"max ms".padStart(8)}  answers`
  ]
  for (const r of results) {
    const cells = [r.okPerSecond.toFixed(0), r.latency.p50, r.latency.p95, r.latency.p99, r.latency.max].map((c, i) =>
      (i === 0 ? String(c) : (c as number).toFixed(1)).padStart(8)
    )
    const statuses = Object.entries(r.statuses).map(([s, n]) => `${s}:${n}`).join(" ")
    lines.push(`${r.name.padEnd(22)} ${cells.join(" ")}  ${r.ok}/${r.sent} ok (${statuses})`)
    lines.push(`${"".padEnd(22)} ${r.mode}, ${r.durationS.toFixed(1)} s`)
    if (r.sendLagP99 > 5) {
      lines.push(`${"".padEnd(22)} generator sent late by ${r.sendLagP99.toFixed(1)} ms (p99): it shares the cores`)
    }
    if (r.failed) {
      const problems = Object.entries(r.problems).map(([p, n]) => `${p} x${n}`).join(", ")
      lines.push(`${"".padEnd(22)} FAILED: ${problems || "no successful answer"}`)
    }
  }
  return lines.join("\n")
}
