import { DatabaseLive } from "@shop/service-defaults/Database"
import { GrpcServerLive } from "@shop/service-defaults/GrpcServerLive"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Layer } from "effect"
import { ProductGrpcServer } from "./grpc/ProductGrpcServer.ts"
import { migrations } from "./migrations/index.ts"
import { ProductConfig } from "./ProductConfig.ts"
import { ProductServicesLive } from "./ProductServices.ts"

runService(
  { name: "product", adminPort: Topology.product.adminPort },
  GrpcServerLive(Topology.product.grpcPort, ProductGrpcServer).pipe(
    Layer.provide(ProductServicesLive),
    Layer.provide(ProductConfig.layer),
    Layer.provide(DatabaseLive({ database: Topology.product.database, migrations }))
  )
)
