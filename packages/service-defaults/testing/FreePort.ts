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

// Ports already handed out by this process: a port is checked free, not held, so two calls before either server binds
// (a service's gRPC and admin ports) could otherwise get the same one, and the second bind fails with EADDRINUSE.
const handedOut = new Set<number>()

/**
 * A free TCP port on 127.0.0.1 for a server that a test starts afterwards (often in a child process): a random port
 * from 20000 up to the kernel's ephemeral range, checked by listening on it. Not port 0's pick: that comes from the
 * ephemeral range, and between the check and the server's bind any outgoing connection on the machine can take it
 * as its local port (the server then fails with EADDRINUSE, as a gRPC service of the hostile-input test once did).
 * Below the range only another listener can take it. A process never gets the same port twice.
 */
export const freePort: Effect.Effect<number> = Effect.gen(function*() {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (ephemeralLow - 20_000))
    if (handedOut.has(port)) continue
    if (yield* listens(port)) {
      handedOut.add(port)
      return port
    }
  }
  return yield* Effect.die(new Error(`no free port found between 20000 and ${ephemeralLow}`))
})
