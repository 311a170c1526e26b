import { DatabaseLive } from "@shop/service-defaults/Database"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { migrations } from "./migrations/index.ts"

runService(
  { name: "notification", adminPort: Topology.notification.adminPort },
  DatabaseLive({ database: Topology.notification.database, migrations })
)
