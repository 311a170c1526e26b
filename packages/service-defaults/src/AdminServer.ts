import { NodeHttpServer } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { HttpMiddleware, HttpRouter, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { createServer } from "node:http"
import { HealthChecks } from "./HealthChecks.ts"
import { RuntimeMetricsLive } from "./RuntimeMetrics.ts"

/** Admin endpoints every service serves on its admin port: liveness, readiness and Prometheus metrics. */
const AdminRoutes = (service: string) =>
  Layer.mergeAll(
    HttpRouter.add("GET", "/healthz", HttpServerResponse.jsonUnsafe({ status: "ok", service })),
    HttpRouter.add(
      "GET",
      "/readyz",
      Effect.gen(function*() {
        const checks = yield* (yield* HealthChecks).run
        const ready = checks.every((check) => check.ok)
        return HttpServerResponse.jsonUnsafe(
          { status: ready ? "ready" : "not_ready", service, checks },
          { status: ready ? 200 : 503 }
        )
      })
    ),
    PrometheusMetrics.layerHttp({ path: "/metrics" })
  )

/**
 * The admin HTTP server of `service`, on `ADMIN_HOST:ADMIN_PORT` (default `127.0.0.1:defaultPort`: loopback only,
 * containers set `ADMIN_HOST=0.0.0.0`). Probes and scrapes are neither logged nor traced: they would drown the real
 * traffic. `extraRoutes` adds a service's own operator routes (the gateway's `/backends`).
 */
export const AdminServerLive = <E>(
  service: string,
  defaultPort: number,
  extraRoutes: Layer.Layer<never, E, HttpRouter.HttpRouter> = Layer.empty
) =>
  Layer.unwrap(Effect.gen(function*() {
    const port = yield* Config.Port("ADMIN_PORT").pipe(Config.withDefault(defaultPort))
    const host = yield* Config.String("ADMIN_HOST").pipe(Config.withDefault("127.0.0.1"))
    const routes = Layer.mergeAll(AdminRoutes(service), extraRoutes)
    return HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }).pipe(
      Layer.provide(HttpMiddleware.layerTracerDisabledForUrls(["/healthz", "/readyz", "/metrics"])),
      Layer.provide(NodeHttpServer.layer(createServer, { port, host })),
      Layer.provide(RuntimeMetricsLive)
    )
  }))
