/**
 * The floor under the platform's figures on this machine: what the bare parts cost before any of the platform's
 * code runs. A Node HTTP server answering a fixed 400-byte JSON body (loaded by wrk, as `bench:catalog --generator
 * wrk` loads the gateway), and a grpc-js unary call of 200 bytes each way to a server in the same process (the
 * transport of every call between services), one at a time and with 16 in flight. `npm run bench:sql` gives the
 * same for a PostgreSQL statement. Each line prints the CPU of this process per request (both ends, for gRPC), from
 * process.cpuUsage, and the rate.
 *
 * Then the latency of one round trip between two processes that wait in between (--gap ms, as the services of a
 * sequential order wait for each other): a TCP echo, an HTTP/2 request and a grpc-js unary call, to servers in a
 * child process (bench/lib/floor-servers.ts); p50 and p90 of --trips round trips each. Loopback only, bounded in
 * time and count.
 *
 *   npm run bench:floor -- --duration 5 [--calls 5000] [--trips 200] [--gap 20]
 */
import * as grpc from "@grpc/grpc-js"
import { execFile, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:http"
import { connect as connectH2 } from "node:http2"
import { type AddressInfo, connect as connectTcp } from "node:net"
import { loadavg } from "node:os"
import { createInterface } from "node:readline"
import { setTimeout as sleep } from "node:timers/promises"
import { promisify } from "node:util"
import { parse, positive } from "./lib/bench-setup.ts"
import { echoDefinition, serveEcho } from "./lib/floor-echo.ts"
import { percentile } from "./lib/load.ts"

const values = parse({
  calls: { type: "string", default: "5000" },
  trips: { type: "string", default: "200" },
  gap: { type: "string", default: "20" }
})
const durationS = positive("duration", values.duration, 60)
const calls = positive("calls", values.calls, 1_000_000)
const trips = positive("trips", values.trips, 10_000)
const gapMs = positive("gap", values.gap, 1_000)

const line = (label: string, cpuMicros: number, count: number, seconds: number) =>
  console.log(
    `${label.padEnd(44)} ${(cpuMicros / count).toFixed(1).padStart(7)} us CPU per request, ${
      Math.round(count / seconds)
    } per second`
  )

const http = async () => {
  const body = Buffer.from(JSON.stringify({ id: "prod_01k".padEnd(30, "0"), description: "x".repeat(300) }))
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      "content-type": "application/json",
      "content-length": body.length,
      "x-request-id": crypto.randomUUID()
    }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const cpu = process.cpuUsage()
  const started = performance.now()
  // wrk runs in its own process; this one only serves
  const { stdout } = await promisify(execFile)("wrk", ["-t1", "-c16", `-d${durationS}s`, url])
  const used = process.cpuUsage(cpu)
  const seconds = (performance.now() - started) / 1000
  server.close()
  const count = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0)
  if (count === 0 || /Non-2xx/.test(stdout)) throw new Error(`wrk failed:\n${stdout}`)
  line("node:http, fixed JSON answer (wrk -c16)", used.user + used.system, count, seconds)
}

const unary = async () => {
  const definition = echoDefinition
  const { port, server } = await serveEcho()
  const Client = grpc.makeGenericClientConstructor(definition, "Echo")
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  const echo = client["echo"]
  if (echo === undefined) throw new Error("the generic client has no echo method")
  const payload = Buffer.alloc(200, 1)
  const call = () =>
    new Promise<void>((resolve, reject) =>
      echo.call(client, payload, (error: grpc.ServiceError | null) => error ? reject(error) : resolve())
    )
  for (let i = 0; i < 500; i++) await call() // warm-up
  const measure = async (label: string, inFlight: number) => {
    const cpu = process.cpuUsage()
    const started = performance.now()
    let next = 0
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next++ < calls) await call()
    }))
    const used = process.cpuUsage(cpu)
    line(label, used.user + used.system, calls, (performance.now() - started) / 1000)
  }
  await measure("grpc-js unary, client and server, one at a time", 1)
  await measure("grpc-js unary, client and server, 16 in flight", 16)
  client.close()
  server.forceShutdown()
}

/** p50 and p90 of `trips` round trips made by `trip`, each after a pause of --gap ms. */
const roundTrips = async (label: string, trip: () => Promise<void>) => {
  for (let i = 0; i < 20; i++) await trip() // warm-up
  const took: Array<number> = []
  for (let i = 0; i < trips; i++) {
    await sleep(gapMs)
    const started = performance.now()
    await trip()
    took.push(performance.now() - started)
  }
  took.sort((a, b) => a - b)
  console.log(
    `${label.padEnd(44)} p50 ${percentile(took, 50).toFixed(2)} ms, p90 ${percentile(took, 90).toFixed(2)} ms`
  )
}

const crossProcess = async () => {
  const child = spawn(process.execPath, ["bench/lib/floor-servers.ts"], { stdio: ["pipe", "pipe", "inherit"] })
  try {
    const [first] = await once(createInterface({ input: child.stdout }), "line") as [string]
    const ports = JSON.parse(first) as { readonly tcp: number; readonly h2: number; readonly grpc: number }
    console.log(`one round trip to another process, after ${gapMs} ms idle (${trips} trips each):`)

    const socket = connectTcp(ports.tcp, "127.0.0.1")
    socket.setNoDelay(true)
    await once(socket, "connect")
    await roundTrips("  TCP echo, 1 byte", async () => {
      socket.write("x")
      await once(socket, "data")
    })
    socket.destroy()

    const session = connectH2(`http://127.0.0.1:${ports.h2}`)
    await roundTrips("  HTTP/2 request (node:http2)", () =>
      new Promise<void>((resolve, reject) => {
        const request = session.request({ ":path": "/" })
        request.on("data", () => {})
        request.on("end", () => resolve())
        request.on("error", reject)
        request.end()
      }))
    session.close()

    const Client = grpc.makeGenericClientConstructor(echoDefinition, "Echo")
    const client = new Client(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure())
    const echo = client["echo"]
    if (echo === undefined) throw new Error("the generic client has no echo method")
    const payload = Buffer.alloc(200, 1)
    await roundTrips(
      "  grpc-js unary call, 200 bytes each way",
      () =>
        new Promise<void>((resolve, reject) =>
          echo.call(client, payload, (error: grpc.ServiceError | null) => error ? reject(error) : resolve())
        )
    )
    client.close()
  } finally {
    child.stdin.end()
    child.kill()
  }
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}, Node ${process.version}`)
await http()
await unary()
await crossProcess()
