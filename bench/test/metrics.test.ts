import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { metricMax, metricSum } from "../lib/bench-setup.ts"
import { formatEventLoops, startEventLoopSampler } from "../lib/event-loops.ts"

const servers: Array<Server> = []
afterEach(() =>
  Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
)

/** An admin port answering /metrics with `text`. */
const adminServing = (text: string) =>
  new Promise<string>((resolve) => {
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end(text))
    servers.push(server)
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

const exposition = [
  "# HELP notifications_sent_total Notification delivery attempts, by channel and outcome.",
  "# TYPE notifications_sent_total counter",
  "notifications_sent_total{channel=\"email\",outcome=\"sent\"} 40",
  "notifications_sent_total{channel=\"email\",outcome=\"retry\"} 3",
  "notifications_sent_total{channel=\"sms\",outcome=\"sent\"} 2",
  "notifications_sent_total_created 1700000000",
  "orders_confirmed_total 7"
].join("\n")

describe("metricSum", () => {
  it("sums a counter's series over every admin port, or only the series with a label", async () => {
    const admins = [await adminServing(exposition), await adminServing(exposition)]
    expect(await metricSum(admins, "notifications_sent_total")).toBe(90)
    expect(await metricSum(admins, "notifications_sent_total", "outcome=\"sent\"")).toBe(84)
    expect(await metricSum(admins, "orders_confirmed_total")).toBe(14)
    expect(await metricSum(admins, "orders_confirmed_total", "outcome=\"sent\"")).toBe(0)
  })
})

describe("metricMax", () => {
  it("takes a gauge's largest value over every admin port, and says when none has it", async () => {
    const quiet = await adminServing("nodejs_eventloop_utilization 0.125\nnodejs_eventloop_lag_p99_seconds 0.004")
    const busy = await adminServing("nodejs_eventloop_utilization 0.875\nnodejs_eventloop_lag_p99_seconds 0.062")
    expect(await metricMax([quiet, busy], "nodejs_eventloop_utilization")).toBe(0.875)
    expect(await metricMax([quiet, busy], "nodejs_eventloop_lag_p99_seconds")).toBe(0.062)
    expect(await metricMax([quiet], "nodejs_eventloop_lag")).toBeUndefined()
  })
})

describe("event-loop sampler", () => {
  it("averages each service's utilization and keeps its largest lag over the readings", async () => {
    let utilization = 0.2
    let lag = 0.01
    const server = createServer((_req, res) =>
      res.end(`nodejs_eventloop_utilization ${utilization}\nnodejs_eventloop_lag_p99_seconds ${lag}`)
    )
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const sampler = startEventLoopSampler([{ service: "order", urls: [url] }, { service: "ghost", urls: [] }])
    await sampler.readNow()
    utilization = 0.6
    lag = 0.08
    await sampler.readNow()
    utilization = 0.4
    lag = 0.02
    await sampler.readNow()
    const [order, ...others] = sampler.stop()
    expect(others).toEqual([])
    expect(order!.service).toBe("order")
    expect(order!.readings).toBe(3)
    expect(order!.utilization).toBeCloseTo(0.4)
    expect(order!.lagP99Millis).toBeCloseTo(80)
    expect(formatEventLoops([order!])).toBe(
      "event loops while measured (every 5 s): order 40 % busy, lag p99 up to 80 ms"
    )
  })
})
