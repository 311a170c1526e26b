import { assert, layer } from "@effect/vitest"
import { OrderServiceService, OrderStatus } from "@shop/proto/order/v1/order"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Effect, Layer } from "effect"
import { startPeers } from "./fixtures/Harness.ts"
import { spawnOrderProcess } from "./fixtures/OrderProcess.ts"
import { asService } from "./fixtures/TestKeys.ts"

/**
 * The real order process behind its service-identity check: only the gateway may call it, and whoever calls,
 * GetOrder and ListOrders answer only with the named user's orders.
 */
class OrderEnv extends Context.Service<OrderEnv, { readonly env: Record<string, string> }>()("test/OrderEnv") {
  static readonly layer = Layer.effect(
    OrderEnv,
    Effect.gen(function*() {
      const peers = yield* startPeers
      peers.product.add("prod_auth", 1250, 50)
      const db = yield* acquireTestDatabase("order_identity")
      const events = yield* acquireTestDatabase("order_identity_events")
      return {
        env: {
          EVENT_LOG_URL: events.url,
          EVENT_LOG_POOL_MAX: String(events.maxConnections),
          KAFKA_BROKERS: "",
          DATABASE_URL: db.url,
          DATABASE_POOL_MAX: String(db.maxConnections),
          PRODUCT_GRPC_ADDR: peers.productAddress,
          PAYMENT_GRPC_ADDR: peers.paymentAddress
        }
      }
    })
  )
}

const createFor = (userId: string) => ({
  userId,
  items: [{ productId: "prod_auth", quantity: 1 }],
  shippingAddress: { street: "1 Auth St", city: "Oakland", state: "CA", zip: "94607" },
  paymentMethod: "pm_card_visa",
  idempotencyKey: `auth-${userId}`,
  email: "",
  phone: ""
})

layer(OrderEnv.layer, { timeout: 120_000, excludeTestServices: true })("order service: who may call", (it) => {
  it.effect("refuses calls without a service identity, and from services the policy does not list", () =>
    Effect.gen(function*() {
      const order = yield* spawnOrderProcess((yield* OrderEnv).env)
      const address = order.client.address
      const anonymous = yield* GrpcClient.make({ address, service: "order" })
      const refused = yield* anonymous.unary(OrderServiceService.createOrder, createFor("user_anon")).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "Unauthorized")
      for (const service of ["payment", "product", "notification"]) {
        const client = yield* GrpcClient.make({ address, service: "order" }).pipe(Effect.provide(asService(service)))
        const denied = yield* client.unary(OrderServiceService.getOrder, { orderId: "ord_x", userId: "user_a" })
          .pipe(Effect.flip)
        assert.strictEqual(denied._tag, "Forbidden", service)
      }
    }))

  it.effect("GetOrder and ListOrders hold the user scoping for an authenticated caller too", () =>
    Effect.gen(function*() {
      const order = yield* spawnOrderProcess((yield* OrderEnv).env)
      const created = yield* order.client.unary(OrderServiceService.createOrder, createFor("user_owner"))
      const orderId = created.order!.orderId
      const own = yield* order.client.unary(OrderServiceService.getOrder, { orderId, userId: "user_owner" })
      assert.strictEqual(own.order?.orderId, orderId)
      for (const userId of ["user_other", "", " user_owner", "USER_OWNER"]) {
        const foreign = yield* order.client.unary(OrderServiceService.getOrder, { orderId, userId }).pipe(Effect.flip)
        assert.include(["NotFound", "ValidationError"], foreign._tag, JSON.stringify(userId))
      }
      const others = yield* order.client.unary(OrderServiceService.listOrders, {
        userId: "user_other",
        page: 1,
        limit: 100,
        cursor: "",
        status: OrderStatus.UNSPECIFIED
      })
      assert.isFalse(others.orders.some((listed) => listed.orderId === orderId))
    }))
})
