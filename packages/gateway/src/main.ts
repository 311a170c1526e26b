import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Layer } from "effect"
import { HttpRouter } from "effect/http"
import { GatewayHttpServer } from "./edge/GatewayHttpServer.ts"
import { GatewayAdminRoutes, GatewayHotPath, GatewayRoutes } from "./GatewayApp.ts"
import { GatewayConfig } from "./GatewayConfig.ts"

runService(
  { name: "gateway", adminPort: Topology.gateway.adminPort },
  HttpRouter.serve(GatewayRoutes, { disableLogger: true }).pipe(
    Layer.provide(GatewayHttpServer()),
    Layer.provide(GatewayHotPath),
    Layer.provide(GatewayConfig.layer)
  ),
  { adminRoutes: GatewayAdminRoutes }
)
