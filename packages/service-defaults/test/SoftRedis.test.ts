import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer } from "effect"
import { createServer, type Socket } from "node:net"
import type { AddressInfo } from "node:net"
import { Worker } from "node:worker_threads"
import { vi } from "vitest"
import { SoftRedis } from "../src/Redis.ts"

const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

const softRedis = (url: string, commandTimeout?: Duration.Duration) =>
  Effect.map(
    Layer.build(
      SoftRedis.layer({
        url,
        purpose: "test",
        fallback: "doing without",
        ...(commandTimeout === undefined ? {} : { commandTimeout })
      })
    ),
    (context) => Context.get(context, SoftRedis)
  )

const ready = (redis: SoftRedis["Service"]) =>
  Effect.gen(function*() {
    const deadline = Date.now() + 5_000
    while (!redis.available()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("the soft Redis never connected"))
      yield* Effect.sleep("20 millis")
    }
  })

/**
 * A Redis stand-in on loopback that answers `+OK` to every command until `hang()`, and then reads on without
 * answering, as a Redis stuck on a slow script or a full disk would.
 */
const stallingRedis = Effect.acquireRelease(
  Effect.callback<{ readonly url: string; readonly hang: () => void; readonly close: () => void }>((resume) => {
    let hanging = false
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("data", (chunk) => {
        if (hanging) return
        // one +OK per command in the chunk (each RESP command starts with an array header)
        const commands = chunk.toString("latin1").split("\r\n").filter((line) => line.startsWith("*")).length
        socket.write("+OK\r\n".repeat(commands))
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
        hang: () => void (hanging = true),
        close: () => {
          for (const socket of sockets) socket.destroy()
          server.close()
        }
      })))
  }),
  (fake) => Effect.sync(fake.close)
)

/**
 * A Redis stand-in that answers `+OK` to every command `delayMillis` after it arrives, from a worker thread: its event
 * loop keeps time while the test's is blocked.
 */
const delayedRedis = (delayMillis: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly url: string; readonly worker: Worker }>((resume) => {
      const worker = new Worker(
        `const { parentPort } = require("node:worker_threads")
      const server = require("node:net").createServer((socket) => socket.on("data", (chunk) => {
        const commands = chunk.toString("latin1").split("\\r\\n").filter((line) => line.startsWith("*")).length
        setTimeout(() => socket.write("+OK\\r\\n".repeat(commands)), ${delayMillis})
      }))
      server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port))`,
        { eval: true }
      )
      worker.once("message", (port: number) => resume(Effect.succeed({ url: `redis://127.0.0.1:${port}`, worker })))
    }),
    ({ worker }) => Effect.promise(() => worker.terminate())
  )

/** Keeps this thread's event loop busy, as a saturated process is: no timer and no socket is served meanwhile. */
const busyFor = (millis: number) =>
  Effect.sync(() => {
    const until = performance.now() + millis
    while (performance.now() < until) {
      // spinning
    }
  })

describe("SoftRedis", () => {
  it.live("bounds a command Redis does not answer by its own timeout", () =>
    Effect.gen(function*() {
      const fake = yield* stallingRedis
      const redis = yield* softRedis(fake.url, Duration.millis(100))
      yield* ready(redis)
      assert.strictEqual(yield* redis.send("PING"), "OK")
      fake.hang()
      const started = Date.now()
      const error = yield* Effect.flip(redis.send("PING"))
      assert.strictEqual(error._tag, "RedisUnavailable")
      assert.match(error.reason, /no answer within/)
      assert.isBelow(Date.now() - started, 1_000)
    }).pipe(Effect.scoped))

  it.live("arms no timer of the Redis library's own per command: its timeout is the one `send` applies", () =>
    Effect.gen(function*() {
      const redis = yield* softRedis(redisUrl)
      yield* ready(redis)
      // The library's default arms AbortSignal.timeout(5000) per command, which fires 5 s later, answered or not.
      const timeouts = vi.spyOn(AbortSignal, "timeout")
      try {
        const answers = yield* Effect.forEach(Array.from({ length: 50 }), () => redis.send("PING"), {
          concurrency: 10
        })
        assert.deepStrictEqual(new Set(answers), new Set(["PONG"]))
        assert.strictEqual(timeouts.mock.calls.length, 0)
      } finally {
        timeouts.mockRestore()
      }
    }).pipe(Effect.scoped))

  it.live("counts Redis's delay, not its own: the process busy past the timeout is not a timeout", () =>
    Effect.gen(function*() {
      const fake = yield* delayedRedis(20)
      const redis = yield* softRedis(fake.url, Duration.millis(60))
      yield* ready(redis)
      for (let i = 0; i < 5; i++) {
        const answer = yield* Effect.forkChild(redis.send("PING"))
        yield* Effect.sleep("5 millis") // the command is on the wire; its answer comes 20 ms after it arrived
        yield* busyFor(150) // past the timeout, with the answer waiting in the socket
        assert.strictEqual(yield* Fiber.join(answer), "OK")
      }
      // Busy before the command could even be written: the client writes in the next turn, after the timeout.
      for (let i = 0; i < 5; i++) {
        const answer = yield* Effect.forkChild(redis.send("PING"))
        yield* Effect.yieldNow
        yield* busyFor(150)
        assert.strictEqual(yield* Fiber.join(answer), "OK")
      }
      // A Redis that is slower than the timeout while this process is idle still times out.
      const slowFake = yield* delayedRedis(1_000)
      const slow = yield* softRedis(slowFake.url, Duration.millis(10))
      yield* ready(slow)
      const error = yield* Effect.flip(slow.send("PING"))
      assert.match(error.reason, /no answer within 10ms/)
    }).pipe(Effect.scoped))
})
