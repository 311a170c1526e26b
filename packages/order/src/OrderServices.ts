import { breakerStoreLayer } from "@shop/service-defaults/resilience/BreakerStore"
import { Layer } from "effect"
import { SagaAdmin } from "./admin/SagaAdmin.ts"
import { CheckoutSaga } from "./CheckoutSaga.ts"
import { PaymentAdminClient } from "./clients/PaymentAdminClient.ts"
import { PaymentClient } from "./clients/PaymentClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { Failpoints } from "./Failpoints.ts"
import { OrderConfig } from "./OrderConfig.ts"
import { OrderRepo } from "./OrderRepo.ts"
import { Orders } from "./Orders.ts"
import { RequestClaims } from "./RequestClaims.ts"
import { SagaRunner } from "./saga/SagaRunner.ts"
import { SagaStore } from "./saga/SagaStore.ts"

const Peers = Layer.mergeAll(ProductClient.layer, PaymentClient.layer).pipe(
  Layer.provide(breakerStoreLayer("order:breaker:"))
)

/**
 * Orders and everything under it but the database: the repository, the peer clients (each behind its circuit
 * breaker, states in Redis when REDIS_URL is set), the checkout saga's steps and the runner that drives them.
 */
export const OrderServicesNoConfig = Orders.layer.pipe(
  Layer.provideMerge(SagaRunner.layer),
  Layer.provideMerge(CheckoutSaga.layer),
  Layer.provideMerge(SagaStore.layer),
  Layer.provideMerge(Layer.mergeAll(OrderRepo.layer, RequestClaims.layer, Peers))
)

/** The operator console's view of the order service: every order, sagas to look at, and the payment service's parked refunds. */
export const OrderAdminServicesNoConfig = Layer.mergeAll(SagaAdmin.layer, PaymentAdminClient.layer, OrderRepo.layer)

/** The operator console's services with their configuration from the environment. */
export const OrderAdminServicesLive = OrderAdminServicesNoConfig.pipe(Layer.provide(OrderConfig.layer))

/** The production wiring: configuration and failpoints from the environment. */
export const OrderServicesLive = OrderServicesNoConfig.pipe(
  Layer.provide(Layer.mergeAll(OrderConfig.layer, Failpoints.layer))
)
