import { DatabaseLive } from "@shop/service-defaults/Database"
import { GrpcServerLive } from "@shop/service-defaults/GrpcServerLive"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Layer } from "effect"
import { PaymentAdminGrpcServer } from "./grpc/PaymentAdminGrpcServer.ts"
import { PaymentGrpcServer } from "./grpc/PaymentGrpcServer.ts"
import { migrations } from "./migrations/index.ts"
import { ParkedRefunds } from "./ParkedRefunds.ts"
import { PaymentAppLive } from "./PaymentApp.ts"
import { PaymentConfig } from "./PaymentConfig.ts"

runService(
  { name: "payment", adminPort: Topology.payment.adminPort },
  GrpcServerLive(
    Topology.payment.grpcPort,
    Layer.mergeAll(PaymentGrpcServer, PaymentAdminGrpcServer.pipe(Layer.provide(ParkedRefunds.layer)))
  ).pipe(
    Layer.provide(PaymentAppLive),
    Layer.provide(PaymentConfig.layer),
    Layer.provide(DatabaseLive({ database: Topology.payment.database, migrations }))
  )
)
