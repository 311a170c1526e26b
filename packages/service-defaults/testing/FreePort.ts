import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"

// The kernel's ephemeral range: the local ports of outgoing connections (a database client's) come from it.
const ephemeralLow = (() => {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0])
    return Number.isInteger(low) && low > 21_000 ? low : 32_768
  } catch {
    return 32_768
  }
})()

const listens = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const server = createServer()
    server.once("error", () => resume(Effect.succeed(false)))
    server.listen(port, "127.0.0.1", () => server.close(() => resume(Effect.succeed(true))))
  })

/**
 * A free TCP port on 127.0.0.1 for a server that a test starts afterwards (often in a child process): a random port
 * from 20000 up to the kernel's ephemeral range, checked by listening on it. Not port 0's pick: that comes from the
 * ephemeral range, and between the check and the server's bind any outgoing connection on the machine can take it
 * as its local port (the server then fails with EADDRINUSE, as a gRPC service of the hostile-input test once did).
 * Below the range only another listener can take it.
 */
export const freePort: Effect.Effect<number> = Effect.gen(function*() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (ephemeralLow - 20_000))
    if (yield* listens(port)) return port
  }
  return yield* Effect.die(new Error(`no free port found between 20000 and ${ephemeralLow}`))
})
