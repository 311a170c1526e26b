import { DatabaseLive } from "@shop/service-defaults/Database"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { migrations } from "./migrations/index.ts"

runService(
  { name: "payment", adminPort: Topology.payment.adminPort },
  DatabaseLive({ database: Topology.payment.database, migrations })
)
