import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer } from "effect"
import { createServer, type Socket } from "node:net"
import type { AddressInfo } from "node:net"
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
})
