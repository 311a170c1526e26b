import { breakerStoreLayer } from "@shop/service-defaults/resilience/BreakerStore"
import { Layer } from "effect"
import { PaymentClient } from "./clients/PaymentClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { Failpoints } from "./Failpoints.ts"
import { OrderConfig } from "./OrderConfig.ts"
import { OrderRepo } from "./OrderRepo.ts"
import { Orders } from "./Orders.ts"
import { SagaRunner } from "./SagaRunner.ts"
import { SagaStore } from "./SagaStore.ts"

/**
 * Orders and everything under it but the database: repositories, peer clients (each behind its circuit breaker,
 * states in Redis when REDIS_URL is set) and the saga runner.
 */
export const OrderServicesNoConfig = Orders.layer.pipe(
  Layer.provideMerge(SagaRunner.layer),
  Layer.provideMerge(Layer.mergeAll(SagaStore.layer, OrderRepo.layer, ProductClient.layer, PaymentClient.layer)),
  Layer.provide(breakerStoreLayer("shop:order:breaker:"))
)

/** The production wiring: configuration and failpoints from the environment. */
export const OrderServicesLive = OrderServicesNoConfig.pipe(
  Layer.provide(Layer.mergeAll(OrderConfig.layer, Failpoints.layer))
)
