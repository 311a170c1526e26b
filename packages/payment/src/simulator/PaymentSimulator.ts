import { NodeHttpServer } from "@effect/platform-node"
import { isProduction } from "@shop/service-defaults/DeploymentEnvironment"
import { Topology } from "@shop/service-defaults/Topology"
import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { Config, Context, Effect, Layer, type Scope } from "effect"
import { HttpRouter, HttpServer, type HttpServerError } from "effect/http"
import { createServer } from "node:http"
import { AdminRoutes, HealthRoute } from "./AdminRoutes.ts"
import { ApiRoutes } from "./ApiRoutes.ts"
import { type FaultConfig, FaultConfigFromEnv, Faults, noFaults } from "./Faults.ts"
import { IdempotencyStore } from "./IdempotencyStore.ts"
import { Ledger } from "./Ledger.ts"

export interface SimulatorOptions {
  /** 0 picks a free port. */
  readonly port?: number | undefined
  readonly host?: string | undefined
  /** Seeds the fault dice, so that a run can be repeated. */
  readonly seed?: string | number | undefined
  /** Faults active from the start; the rest are off. */
  readonly faults?: Partial<FaultConfig> | undefined
  /** Serves `/admin/faults` and `/admin/reset`. Default: off (they answer 404). */
  readonly admin?: boolean | undefined
}

const wildcardHosts = new Set(["0.0.0.0", "::", ""])

/**
 * The payment gateway simulator: a Stripe-like card processor over HTTP with its ledger, idempotency store and
 * fault injection in memory. Request logging is off: the simulator sits on the order hot path in load tests.
 */
export class PaymentSimulator extends Context.Service<PaymentSimulator, {
  /** Where clients reach it, e.g. `http://127.0.0.1:8081`. */
  readonly baseUrl: string
}>()("@shop/payment/simulator/PaymentSimulator") {
  static readonly layer = (
    options: SimulatorOptions = {}
  ): Layer.Layer<PaymentSimulator, HttpServerError.ServeError> => {
    const host = options.host ?? "127.0.0.1"
    const state = Layer.mergeAll(
      Ledger.layer,
      IdempotencyStore.layer,
      Faults.layer({ initial: { ...noFaults, ...options.faults }, seed: options.seed })
    )
    const routes = options.admin === true ? Layer.mergeAll(ApiRoutes, HealthRoute, AdminRoutes) : Layer.mergeAll(
      ApiRoutes,
      HealthRoute
    )
    const serve = HttpRouter.serve(routes, {
      disableLogger: true,
      disableListenLog: true
    })
    const describe = Layer.effect(
      PaymentSimulator,
      Effect.map(HttpServer.HttpServer, ({ address }) => {
        const port = "port" in address ? address.port : options.port
        const connectHost = wildcardHosts.has(host) ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host
        return PaymentSimulator.of({ baseUrl: `http://${connectHost}:${port}` })
      })
    )
    return Layer.merge(serve, describe).pipe(
      // Hung requests (hang_rate) would otherwise hold shutdown for the default 20 s.
      Layer.provide(NodeHttpServer.layer(createServer, {
        port: options.port ?? Topology.paymentSimulator.httpPort,
        host,
        gracefulShutdownTimeout: "1 second"
      })),
      Layer.provide(state)
    )
  }

  /**
   * Configured from the environment: `SIMULATOR_PORT`, `SIMULATOR_HOST`, `SIMULATOR_SEED`, `SIMULATOR_*_RATE`, and
   * `SIMULATOR_ADMIN` (`true` serves the fault and reset API; refused with SHOP_ENV=production).
   */
  static readonly layerConfig = Layer.unwrap(Effect.gen(function*() {
    const port = yield* Config.Port("SIMULATOR_PORT").pipe(Config.withDefault(Topology.paymentSimulator.httpPort))
    const host = yield* Config.String("SIMULATOR_HOST").pipe(Config.withDefault("127.0.0.1"))
    const seed = yield* Config.String("SIMULATOR_SEED").pipe(Config.withDefault(""))
    const faults = yield* FaultConfigFromEnv
    const admin = yield* Config.Boolean("SIMULATOR_ADMIN").pipe(Config.withDefault(false))
    if (admin && (yield* isProduction)) {
      return yield* new UnsafeSetting({
        setting: "SIMULATOR_ADMIN",
        detail: "opens an unauthenticated fault and reset API; it is for development and tests only"
      })
    }
    const announce = Layer.effectDiscard(Effect.gen(function*() {
      const { baseUrl } = yield* PaymentSimulator
      yield* Effect.logInfo(`payment simulator listening on ${baseUrl}`).pipe(
        Effect.annotateLogs({ faults, seeded: seed !== "", admin })
      )
    }))
    return announce.pipe(
      Layer.provideMerge(
        PaymentSimulator.layer({ port, host, faults, admin, seed: seed === "" ? undefined : seed })
      )
    )
  }))

  /** On a free port of 127.0.0.1 with the admin API on, for tests. */
  static readonly layerTest = PaymentSimulator.layer({ port: 0, host: "127.0.0.1", admin: true })
}

/**
 * Starts an in-process simulator for tests (default: a free 127.0.0.1 port, admin API on); returns its base URL,
 * stops with the scope.
 */
export const startSimulator = (
  options: SimulatorOptions = {}
): Effect.Effect<string, HttpServerError.ServeError, Scope.Scope> =>
  Effect.map(
    Layer.build(PaymentSimulator.layer({ port: 0, host: "127.0.0.1", admin: true, ...options })),
    (context) => Context.get(context, PaymentSimulator).baseUrl
  )
