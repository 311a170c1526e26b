import { Layer } from "effect"
import { CacheStore } from "./CacheStore.ts"
import { CacheVersions } from "./CacheVersions.ts"
import { Catalog } from "./Catalog.ts"
import { CatalogEpochWatchLive } from "./CatalogEpochWatch.ts"
import { Inventory } from "./Inventory.ts"
import { ProductCache } from "./ProductCache.ts"
import { ReservationSweeperLive } from "./ReservationSweeper.ts"
import { Search } from "./Search.ts"
import { StockFolder } from "./StockFolder.ts"

/**
 * The product service without its gRPC server, over a given cache store: Catalog, Search, Inventory and
 * ProductCache, plus the reservation sweeper, the stock folder and the catalog epoch watch running in the
 * background. Needs `SqlClient` (migrated) and `ProductConfig`.
 */
export const ProductServicesWith = <E, R>(store: Layer.Layer<CacheStore, E, R>) =>
  Layer.mergeAll(ProductCache.layer, ReservationSweeperLive, CatalogEpochWatchLive).pipe(
    Layer.provideMerge(Search.layer),
    Layer.provideMerge(Layer.mergeAll(Catalog.layer, Inventory.layer)),
    Layer.provideMerge(StockFolder.layer),
    Layer.provideMerge(CacheVersions.layer),
    Layer.provideMerge(store)
  )

/** {@link ProductServicesWith} on Redis when `REDIS_URL` is set, on process memory otherwise. */
export const ProductServicesLive = ProductServicesWith(CacheStore.layer)
