import { assert, describe, it } from "@effect/vitest"
import { freePort } from "@shop/service-defaults/testing/FreePort"
import { ConfigProvider, Context, Effect, Layer, Logger } from "effect"
import { PaymentSimulator } from "../../src/simulator/PaymentSimulator.ts"
import { call } from "./client.ts"

/** The simulator as its process runs it, configured from `env`, serving until the scope closes. */
const fromEnv = (env: Record<string, string>) =>
  Effect.flatMap(freePort, (port) =>
    Layer.build(PaymentSimulator.layerConfig.pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ SIMULATOR_PORT: String(port), ...env }))),
      Layer.provide(Logger.layer([]))
    ))).pipe(Effect.map((context) => Context.get(context, PaymentSimulator)))

describe("simulator: the fault and reset API answers only when enabled", () => {
  it.live("off by default: /admin/faults and /admin/reset are 404, the card API and /healthz serve", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* fromEnv({ SIMULATOR_HOST: "127.0.0.1" })
      assert.strictEqual((yield* call(baseUrl, "PUT", "/admin/faults", { body: { error_rate: 1 } })).status, 404)
      assert.strictEqual((yield* call(baseUrl, "GET", "/admin/faults")).status, 404)
      assert.strictEqual((yield* call(baseUrl, "POST", "/admin/reset")).status, 404)
      assert.strictEqual((yield* call(baseUrl, "GET", "/healthz")).status, 200)
      assert.strictEqual((yield* call(baseUrl, "GET", "/v1/ledger")).status, 200)
    }).pipe(Effect.scoped))

  it.live("SIMULATOR_ADMIN=true opens it", () =>
    Effect.gen(function*() {
      const { baseUrl } = yield* fromEnv({ SIMULATOR_HOST: "127.0.0.1", SIMULATOR_ADMIN: "true" })
      const set = yield* call(baseUrl, "PUT", "/admin/faults", { body: { error_rate: 1 } })
      assert.strictEqual(set.status, 200)
      assert.strictEqual((yield* call(baseUrl, "POST", "/admin/reset")).status, 200)
    }).pipe(Effect.scoped))

  it.live("SHOP_ENV=production refuses to start with it open", () =>
    Effect.gen(function*() {
      const error = yield* fromEnv({ SIMULATOR_ADMIN: "true", SHOP_ENV: "production" }).pipe(Effect.scoped, Effect.flip)
      assert.include(String(error), "refusing to start: SIMULATOR_ADMIN")
    }))
})
