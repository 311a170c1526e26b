import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { metricSum } from "../lib/bench-setup.ts"

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
