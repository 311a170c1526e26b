import { DatabaseLive } from "@shop/service-defaults/Database"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { migrations } from "./migrations/index.ts"

runService(
  { name: "order", adminPort: Topology.order.adminPort },
  DatabaseLive({ database: Topology.order.database, migrations })
)
