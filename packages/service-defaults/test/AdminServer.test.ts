import { assert, describe, it } from "@effect/vitest"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { ConfigProvider, Effect, Layer, Metric } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { AdminServerLive } from "../src/AdminServer.ts"
import { HealthChecks } from "../src/HealthChecks.ts"

const withAdmin = <A, E>(port: number, body: Effect.Effect<A, E, HealthChecks | HttpClient.HttpClient>) =>
  body.pipe(
    Effect.provide(
      AdminServerLive("widgets", port).pipe(
        Layer.provideMerge(HealthChecks.layer),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ ADMIN_HOST: "127.0.0.1" })))
      )
    ),
    Effect.provide(FetchHttpClient.layer)
  )

describe("AdminServer", () => {
  it.live("answers liveness, readiness from registered checks, and Prometheus metrics", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* withAdmin(
        port,
        Effect.gen(function*() {
          const checks = yield* HealthChecks
          const client = yield* HttpClient.HttpClient
          const base = `http://127.0.0.1:${port}`
          yield* checks.register("always-up", Effect.void)

          const live = yield* client.get(`${base}/healthz`)
          assert.strictEqual(live.status, 200)
          assert.deepStrictEqual(yield* live.json, { status: "ok", service: "widgets" })

          const starting = yield* client.get(`${base}/readyz`)
          assert.strictEqual(starting.status, 503, "not ready before start-up has finished")
          yield* checks.markStarted
          const ready = yield* client.get(`${base}/readyz`)
          assert.strictEqual(ready.status, 200)

          yield* checks.register("database", Effect.fail("connection refused"))
          const notReady = yield* client.get(`${base}/readyz`)
          const body = (yield* notReady.json) as { status: string; checks: Array<{ name: string; ok: boolean }> }
          assert.strictEqual(notReady.status, 503)
          assert.strictEqual(body.status, "not_ready")
          assert.deepStrictEqual(body.checks.map((c) => [c.name, c.ok]), [
            ["startup", true],
            ["always-up", true],
            ["database", false]
          ])

          yield* Metric.update(Metric.counter("widgets_made_total"), 3)
          const metrics = yield* Effect.flatMap(client.get(`${base}/metrics`), (r) => r.text)
          assert.match(metrics, /widgets_made_total 3/)
          assert.match(metrics, /process_resident_memory_bytes \d+/)
        })
      )
    }))

  it.live("a hung check fails readiness after its timeout instead of hanging the probe", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      yield* withAdmin(
        port,
        Effect.gen(function*() {
          yield* (yield* HealthChecks).register("stuck", Effect.never)
          const response = yield* (yield* HttpClient.HttpClient).get(`http://127.0.0.1:${port}/readyz`)
          assert.strictEqual(response.status, 503)
        })
      )
    }))
})
