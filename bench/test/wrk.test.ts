import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { runWrk } from "../lib/wrk.ts"

const servers: Array<Server> = []
afterEach(() =>
  Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
)

/** A local server answering each path with the status `statusOf` gives it; it records the paths it was asked. */
const serve = (statusOf: (path: string) => number, seen: Set<string>) =>
  new Promise<string>((resolve) => {
    const server = createServer((req, res) => {
      seen.add(req.url ?? "")
      res.writeHead(statusOf(req.url ?? "/"), { "content-type": "application/json" }).end("{}")
    })
    servers.push(server)
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

const scenario = (base: string, paths: ReadonlyArray<string>) => ({
  name: "wrk",
  bases: [base],
  next: (i: number) => ({ method: "GET" as const, path: paths[i % paths.length]! })
})

const options = { durationS: 1, connections: 2, threads: 1, paths: 3 }

// wrk comes from Debian (.ci/run installs it); the bench uses it with --generator wrk
describe("the wrk generator", () => {
  it("counts only 200s, sends every path of the scenario, and passes a clean run", async () => {
    const seen = new Set<string>()
    const base = await serve(() => 200, seen)
    const result = await runWrk(scenario(base, ["/a", "/b", "/c"]), options)
    expect(result.failed).toBe(false)
    expect(result.ok).toBeGreaterThan(100)
    expect(result.statuses).toEqual({ "200": result.ok })
    expect(result.okPerSecond).toBeCloseTo(result.ok / result.durationS, 6)
    expect([...seen].toSorted()).toEqual(["/a", "/b", "/c"])
  })

  it("fails a run with any other status, and does not count those answers", async () => {
    const base = await serve((path) => (path === "/limited" ? 429 : 200), new Set())
    const result = await runWrk(scenario(base, ["/ok", "/limited", "/ok"]), options)
    expect(result.failed).toBe(true)
    expect(result.problems["status 429"]).toBeGreaterThan(0)
    expect(result.ok).toBe(result.statuses["200"])
    expect(result.ok + result.problems["status 429"]!).toBe(result.sent)
  })

  it("refuses what it cannot check: a scenario with a body check, or an address off loopback", async () => {
    await expect(runWrk({ ...scenario("http://127.0.0.1:1", ["/"]), check: () => undefined }, options)).rejects
      .toThrow(/checks bodies/)
    await expect(runWrk(scenario("http://192.0.2.1:80", ["/"]), options)).rejects.toThrow()
  })
})
