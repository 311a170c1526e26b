import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Ref, Schedule } from "effect"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { checkHealth } from "../src/grpc/GrpcHealth.ts"
import * as GrpcServer from "../src/grpc/GrpcServer.ts"
import { ServiceIdentity } from "../src/grpc/ServiceIdentity.ts"
import { GrpcServerLive } from "../src/GrpcServerLive.ts"
import { HealthChecks } from "../src/HealthChecks.ts"

/**
 * The server as a service builds it: port and host from configuration, readiness checks from its layers. `pings`
 * counts the runs of the database's check.
 */
const server = (
  databaseUp: Ref.Ref<boolean>,
  settings: Record<string, string> = {},
  pings?: Ref.Ref<number>,
  started = true
) =>
  GrpcServerLive(50_999, Layer.empty).pipe(
    Layer.provideMerge(Layer.effectDiscard(Effect.gen(function*() {
      const checks = yield* HealthChecks
      if (started) yield* checks.markStarted
      yield* checks.register(
        "postgres",
        Effect.andThen(pings === undefined ? Effect.void : Ref.update(pings, (n) => n + 1), Ref.get(databaseUp)).pipe(
          Effect.flatMap((up) => up ? Effect.void : Effect.fail("connection refused"))
        )
      )
    }))),
    Layer.provideMerge(HealthChecks.layer),
    Layer.provide(ServiceIdentity.layerWith({ name: "product", dir: mkdtempSync(join(tmpdir(), "shop-keys-")) })),
    Layer.provide(
      ConfigProvider.layer(ConfigProvider.fromUnknown({ GRPC_HOST: "127.0.0.1", GRPC_PORT: "0", ...settings }))
    )
  )

const waitFor = <A>(check: Effect.Effect<A>, expected: A) =>
  check.pipe(
    Effect.repeat({ schedule: Schedule.spaced("100 millis"), until: (value) => value === expected, times: 100 })
  )

describe("GrpcServerLive", () => {
  it.live("binds the configured port and makes grpc.health.v1 follow the service's readiness", () =>
    Effect.gen(function*() {
      const databaseUp = yield* Ref.make(true)
      yield* Effect.gen(function*() {
        const { port } = yield* GrpcServer.GrpcServer
        assert.notStrictEqual(port, 50_999) // GRPC_PORT=0 from configuration won over the default
        const health = checkHealth(`127.0.0.1:${port}`)
        assert.strictEqual(yield* waitFor(health, "SERVING"), "SERVING")
        yield* Ref.set(databaseUp, false)
        assert.strictEqual(yield* waitFor(health, "NOT_SERVING"), "NOT_SERVING")
        yield* Ref.set(databaseUp, true)
        assert.strictEqual(yield* waitFor(health, "SERVING"), "SERVING")
      }).pipe(Effect.provide(server(databaseUp)))
    }))

  it.live("says SERVING as soon as its start-up finishes, not at the next second's check", () =>
    Effect.gen(function*() {
      const databaseUp = yield* Ref.make(true)
      yield* Effect.gen(function*() {
        const { port } = yield* GrpcServer.GrpcServer
        const health = checkHealth(`127.0.0.1:${port}`)
        // still starting: its first check has said so, and the next one is a second away
        assert.strictEqual(yield* waitFor(health, "NOT_SERVING"), "NOT_SERVING")
        yield* Effect.sleep("100 millis")
        const since = Date.now()
        yield* HealthChecks.use((checks) => checks.markStarted)
        assert.strictEqual(yield* waitFor(health, "SERVING"), "SERVING")
        assert.isBelow(Date.now() - since, 400)
      }).pipe(Effect.provide(server(databaseUp, {}, undefined, false)))
    }))

  it.live("a serving service checks again every GRPC_HEALTH_INTERVAL; one not ready, every second", () =>
    Effect.gen(function*() {
      const databaseUp = yield* Ref.make(false)
      const pings = yield* Ref.make(0)
      yield* Effect.gen(function*() {
        const { port } = yield* GrpcServer.GrpcServer
        const health = checkHealth(`127.0.0.1:${port}`)
        assert.strictEqual(yield* waitFor(health, "NOT_SERVING"), "NOT_SERVING")
        // Not ready: the next check comes within a second, not after the 10 s interval.
        yield* Ref.set(databaseUp, true)
        const since = Date.now()
        assert.strictEqual(yield* waitFor(health, "SERVING"), "SERVING")
        assert.isBelow(Date.now() - since, 2_500)
        // Serving: no check for the interval's 10 s (a second of them here).
        const before = yield* Ref.get(pings)
        yield* Effect.sleep("1500 millis")
        assert.strictEqual((yield* Ref.get(pings)) - before, 0)
      }).pipe(Effect.provide(server(databaseUp, { GRPC_HEALTH_INTERVAL: "10 seconds" }, pings)))
    }))
})
