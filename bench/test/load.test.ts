import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { arrivalTimes, runLoad, warmUpOf } from "../lib/load.ts"

const servers: Array<Server> = []
afterEach(() =>
  Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
)

/**
 * A local server: `answer` decides the status and how long to hold each request, given its path and the time it
 * arrived, in milliseconds after the first request.
 */
const serve = (answer: (path: string, receivedAt: number) => { status: number; holdMs: number; body?: string }) =>
  new Promise<string>((resolve) => {
    let first: number | undefined
    const server = createServer((req, res) => {
      first ??= performance.now()
      const { body, holdMs, status } = answer(req.url ?? "/", performance.now() - first)
      setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(body ?? "{}"), holdMs)
    })
    servers.push(server)
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

describe("warmUpOf", () => {
  it("keeps a closed loop's concurrency for the warm-up's duration", () => {
    expect(warmUpOf({ kind: "closed", durationS: 20, connections: 64 }, 15)).toEqual({
      kind: "closed",
      durationS: 15,
      connections: 64
    })
  })

  it("holds an open loop's highest rate, whichever stage reaches it", () => {
    const mode = {
      kind: "open",
      startRate: 10,
      stages: [{ durationS: 30, target: 300 }, { durationS: 30, target: 50 }],
      maxInFlight: 512
    } as const
    const warm = warmUpOf(mode, 5)
    expect(warm).toEqual({ kind: "open", startRate: 300, stages: [{ durationS: 5, target: 300 }], maxInFlight: 512 })
    expect(arrivalTimes(300, warm.kind === "open" ? warm.stages : []).length).toBe(1_500)
  })
})

describe("arrivalTimes", () => {
  it("spaces a constant rate evenly", () => {
    const times = arrivalTimes(100, [{ durationS: 2, target: 100 }])
    expect(times.length).toBe(200)
    expect(times[0]).toBeCloseTo(10, 6)
    expect(times[199]).toBeCloseTo(2000, 6)
  })

  it("ramps linearly like k6's ramping-arrival-rate, continuing from one stage into the next", () => {
    const times = arrivalTimes(0, [{ durationS: 2, target: 100 }, { durationS: 1, target: 100 }, {
      durationS: 1,
      target: 0
    }])
    // 0 -> 100/s over 2 s is 100 arrivals, then 100 at 100/s, then 50 ramping down
    expect(times.length).toBe(250)
    expect(times[99]).toBeCloseTo(2000, 3)
    expect(times[199]).toBeCloseTo(3000, 3)
    expect(times[249]).toBeCloseTo(4000, 3)
    // in a ramp up the gaps shrink; in a ramp down they grow
    expect(times[1]! - times[0]!).toBeGreaterThan(times[99]! - times[98]!)
    expect(times[249]! - times[248]!).toBeGreaterThan(times[201]! - times[200]!)
    expect([...times].every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true)
  })
})

describe("runLoad", () => {
  it("counts only expected answers as throughput, and fails a run with any other status", async () => {
    const base = await serve((path) => ({ status: path.endsWith("/limited") ? 429 : 200, holdMs: 0 }))
    const result = await runLoad({
      name: "mixed",
      bases: [base],
      next: (i) => ({ method: "GET", path: i % 4 === 0 ? "/limited" : "/ok" })
    }, { kind: "closed", durationS: 0.5, connections: 4 })
    expect(result.statuses["429"]).toBeGreaterThan(0)
    expect(result.ok).toBe(result.statuses["200"])
    expect(result.ok).toBeLessThan(result.sent)
    expect(result.problems["status 429"]).toBe(result.statuses["429"])
    expect(result.failed).toBe(true)
  })

  it("fails answers whose body does not pass the check, and passes a clean run", async () => {
    const base = await serve((path) => ({
      status: 200,
      holdMs: 0,
      body: JSON.stringify({ cache_hit: path === "/hit" })
    }))
    const check = (body: string) => (JSON.parse(body) as { cache_hit: boolean }).cache_hit ? "cache hit" : undefined
    const clean = await runLoad(
      { name: "clean", bases: [base], next: () => ({ method: "GET", path: "/miss" }), check },
      {
        kind: "closed",
        durationS: 0.3,
        connections: 2
      }
    )
    expect(clean.failed).toBe(false)
    expect(clean.ok).toBe(clean.sent)
    const dirty = await runLoad(
      { name: "dirty", bases: [base], next: () => ({ method: "GET", path: "/hit" }), check },
      {
        kind: "closed",
        durationS: 0.3,
        connections: 2
      }
    )
    expect(dirty.ok).toBe(0)
    expect(dirty.problems["cache hit"]).toBe(dirty.sent)
    expect(dirty.failed).toBe(true)
  })

  it("open loop measures from the due time, so a stall shows in every request it delayed (no coordinated omission)", async () => {
    // The server stalls for 300 ms once: every request that arrives in that window is answered at its end.
    const stallFrom = 200
    const stallTo = 500
    const stalling = () =>
      serve((_, at) => ({ status: 200, holdMs: at >= stallFrom && at < stallTo ? stallTo - at : 0 }))
    const open = await runLoad(
      { name: "open", bases: [await stalling()], next: () => ({ method: "GET", path: "/" }) },
      {
        kind: "open",
        startRate: 100,
        stages: [{ durationS: 1, target: 100 }],
        maxInFlight: 1
      }
    )
    const closed = await runLoad({
      name: "closed",
      bases: [await stalling()],
      next: () => ({ method: "GET", path: "/" })
    }, {
      kind: "closed",
      durationS: 1,
      connections: 1
    })
    expect(open.failed).toBe(false)
    expect(open.sent).toBe(100)
    // about 30 of the 100 requests were due during the stall: the 95th percentile must show it
    expect(open.latency.p95).toBeGreaterThan(100)
    // the closed loop sent nothing while its one request was held, so the stall is one slow request among many
    expect(closed.latency.p95).toBeLessThan(open.latency.p95)
    expect(closed.latency.max).toBeGreaterThan(100)
  })
})
