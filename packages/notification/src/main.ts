import { DatabaseLive } from "@shop/service-defaults/Database"
import { EventBusLive } from "@shop/service-defaults/events/EventBusLive"
import { GrpcServerLive } from "@shop/service-defaults/GrpcServerLive"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { Layer } from "effect"
import { Deliveries } from "./Deliveries.ts"
import { NotificationAdminGrpcServer } from "./grpc/NotificationAdminGrpcServer.ts"
import { Mailer } from "./Mailer.ts"
import { migrations } from "./migrations/index.ts"
import { NotificationConfig } from "./NotificationConfig.ts"
import { NotificationWorkersLive } from "./NotificationConsumer.ts"
import { NotificationHttpLive } from "./NotificationHttp.ts"
import { NotificationInbox } from "./NotificationInbox.ts"
import { SmsClient } from "./SmsClient.ts"

const Senders = Layer.mergeAll(Mailer.layer, SmsClient.layer)
const Services = Layer.mergeAll(NotificationInbox.layer, Deliveries.layer).pipe(Layer.provideMerge(Senders))

runService(
  { name: "notification", adminPort: Topology.notification.adminPort },
  Layer.mergeAll(
    NotificationWorkersLive,
    NotificationHttpLive,
    GrpcServerLive(Topology.notification.grpcPort, NotificationAdminGrpcServer)
  ).pipe(
    Layer.provide(Services),
    Layer.provide(EventBusLive),
    Layer.provide(NotificationConfig.layer),
    Layer.provideMerge(DatabaseLive({ database: Topology.notification.database, migrations }))
  )
)
