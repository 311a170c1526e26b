import { DatabaseLive } from "@shop/service-defaults/Database"
import { runService } from "@shop/service-defaults/ServiceMain"
import { Topology } from "@shop/service-defaults/Topology"
import { migrations } from "./migrations/index.ts"

runService(
  { name: "product", adminPort: Topology.product.adminPort },
  DatabaseLive({ database: Topology.product.database, migrations })
)
