import { NodeHttpServer } from "@effect/platform-node"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { GatewayConfig } from "./GatewayConfig.ts"
import { HealthRoute } from "./HealthRoute.ts"

const HttpServerLive = Layer.unwrap(
  GatewayConfig.use((config) =>
    Effect.succeed(NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
  )
)

runService(
  { name: "gateway", adminPort: Topology.gateway.adminPort },
  HttpRouter.serve(HealthRoute, { disableLogger: true }).pipe(
    Layer.provide(HttpServerLive),
    Layer.provide([GatewayConfig.layer, FetchHttpClient.layer])
  )
)
