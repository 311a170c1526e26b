import { DatabaseLive } from "@shop/service-defaults/Database"
import { EventBusLive } from "@shop/service-defaults/events/EventBusLive"
import { OutboxRelayLive } from "@shop/service-defaults/events/OutboxRelay"
import { OutboxWakeUp } from "@shop/service-defaults/events/OutboxWakeUp"
import { GrpcServerLive } from "@shop/service-defaults/GrpcServerLive"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Layer } from "effect"
import { OrderAdminGrpcServer } from "./grpc/OrderAdminGrpcServer.ts"
import { OrderGrpcServer } from "./grpc/OrderGrpcServer.ts"
import { migrations } from "./migrations/index.ts"
import { OrderAdminServicesLive, OrderServicesLive } from "./OrderServices.ts"

runService(
  { name: "order", adminPort: Topology.order.adminPort },
  Layer.mergeAll(
    GrpcServerLive(
      Topology.order.grpcPort,
      Layer.mergeAll(
        OrderGrpcServer.pipe(Layer.provide(OrderServicesLive)),
        OrderAdminGrpcServer.pipe(Layer.provide(OrderAdminServicesLive))
      )
    ),
    OutboxRelayLive.pipe(Layer.provide(EventBusLive))
  ).pipe(
    // One wake-up for the order's writers and its relay: each committed event wakes the relay at once.
    Layer.provide(OutboxWakeUp.layer),
    Layer.provide(DatabaseLive({ database: Topology.order.database, migrations }))
  )
)
