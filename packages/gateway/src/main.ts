import { NodeHttpServer } from "@effect/platform-node"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { GatewayAdminRoutes, GatewayRoutes } from "./GatewayApp.ts"
import { GatewayConfig } from "./GatewayConfig.ts"

const HttpServerLive = Layer.unwrap(
  GatewayConfig.use((config) =>
    Effect.succeed(NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
  )
).pipe(Layer.provide(GatewayConfig.layer))

runService(
  { name: "gateway", adminPort: Topology.gateway.adminPort },
  HttpRouter.serve(GatewayRoutes, { disableLogger: true }).pipe(Layer.provide(HttpServerLive)),
  { adminRoutes: GatewayAdminRoutes }
)
