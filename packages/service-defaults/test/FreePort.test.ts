import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { freePort } from "../testing/FreePort.ts"

describe("freePort", () => {
  // 500 draws from the ~12,700 ports below the ephemeral range would repeat one almost surely (birthday bound): a
  // service's gRPC and admin ports, taken one after the other, must never be the same.
  it.live("never hands out the same port twice in a process", () =>
    Effect.gen(function*() {
      const ports = yield* Effect.forEach(Array.from({ length: 500 }), () => freePort)
      assert.strictEqual(new Set(ports).size, ports.length)
      for (const port of ports) assert.isTrue(port >= 20_000 && port < 61_000, `port ${port}`)
    }))
})
