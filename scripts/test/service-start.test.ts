import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { waitForHealth, waitForStart } from "../service-start.ts"

const servers: Array<Server> = []
afterEach(() =>
  Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))))
)

/** An admin port whose liveness always answers and whose readiness answers `readiness()`. */
const admin = (readiness: () => { status: number; body: unknown }) =>
  new Promise<string>((resolve) => {
    const server = createServer((req, res) => {
      const { status, body } = req.url === "/readyz" ? readiness() : { status: 200, body: { status: "ok" } }
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    })
    servers.push(server)
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  })

const readiness = (checks: Record<string, boolean>) => {
  const ready = Object.values(checks).every(Boolean)
  return {
    status: ready ? 200 : 503,
    body: { status: ready ? "ready" : "not_ready", checks: Object.entries(checks).map(([name, ok]) => ({ name, ok })) }
  }
}

describe("waitForStart", () => {
  it("is not satisfied by a live process whose start-up has not finished (its gRPC port not bound)", async () => {
    const url = await admin(() => readiness({ startup: false, postgres: true }))
    expect(await waitForStart(url, 600, 50)).toBe(false)
  })

  it("waits for the start-up to finish", async () => {
    let polls = 0
    const url = await admin(() => readiness({ startup: ++polls > 3, postgres: true }))
    expect(await waitForStart(url, 5_000, 20)).toBe(true)
    expect(polls).toBeGreaterThan(3)
  })

  it("counts a started service whose database went away since (its readiness says so, not its start)", async () => {
    const url = await admin(() => readiness({ startup: true, postgres: false }))
    expect(await waitForStart(url, 5_000, 20)).toBe(true)
  })

  it("counts a readiness without a start-up check when it answers 200; not a refusal, silence or a stranger", async () => {
    expect(await waitForStart(await admin(() => ({ status: 200, body: { status: "ready" } })), 5_000, 20)).toBe(true)
    expect(await waitForStart(await admin(() => ({ status: 503, body: { status: "not_ready" } })), 300, 20)).toBe(
      false
    )
    expect(await waitForStart("http://127.0.0.1:9", 300, 20)).toBe(false)
    const notJson = await new Promise<string>((resolve) => {
      const server = createServer((_req, res) => res.writeHead(200).end("<html>another server</html>"))
      servers.push(server)
      server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
    })
    expect(await waitForStart(notJson, 300, 20)).toBe(false)
  })
})

describe("waitForHealth", () => {
  it("waits for a 2xx answer; a refusal or an error status until the timeout is not one", async () => {
    let polls = 0
    const coming = await admin(() => ({ status: 200, body: {} }))
    expect(await waitForHealth(`${coming}/healthz`, 5_000, 20)).toBe(true)
    const failing = await admin(() => ({ status: 503, body: {} }))
    expect(await waitForHealth(`${failing}/readyz`, 300, 20)).toBe(false)
    expect(await waitForHealth("http://127.0.0.1:9/healthz", 300, 20)).toBe(false)
    const late = await admin(() => ({ status: ++polls > 3 ? 200 : 503, body: {} }))
    expect(await waitForHealth(`${late}/readyz`, 5_000, 20)).toBe(true)
    expect(polls).toBeGreaterThan(3)
  })
})
