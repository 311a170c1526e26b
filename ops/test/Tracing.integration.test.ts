/**
 * Distributed tracing across processes: the platform runs as separate processes exporting OTLP/HTTP JSON to a
 * collector stand-in, an order goes in through the gateway, and one trace id must carry spans of all five services:
 * the gateway, every gRPC service the order touched, and the notification service, whose consumption of the
 * order.confirmed event (relayed through the PostgreSQL event log) and SMTP send continue the order's trace.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@shop/notification/SmtpSink"
import { acquireTestDatabase } from "@shop/service-defaults/testing/TestDatabase"
import { Context, Effect, Layer, Schedule } from "effect"
import { awaitWholeTrace, collector, freePort, launch, post, tokenFor, waitReady } from "./PlatformFixtures.ts"

const secret = "tracing-test-secret-0123456789abcdef"

describe("distributed tracing", () => {
  it.live("one trace runs from the gateway through every service to the confirmation's SMTP send", () => {
    const output: Array<string> = []
    return Effect.gen(function*() {
      const otlp = yield* collector
      const smtp = yield* Layer.build(SmtpSink.layer({ port: 0 }))
      const mailbox = Context.get(smtp, SmtpSink)
      const [product, order, payment, notification, events] = yield* Effect.all([
        acquireTestDatabase("trace_product"),
        acquireTestDatabase("trace_order"),
        acquireTestDatabase("trace_payment"),
        acquireTestDatabase("trace_notification"),
        acquireTestDatabase("trace_events")
      ])
      const [simPort, productGrpc, productAdmin, paymentGrpc, paymentAdmin, orderGrpc, orderAdmin, http, admin] =
        yield* Effect.all(Array.from({ length: 9 }, () => freePort))
      const [notificationAdmin, notificationHttp] = yield* Effect.all([freePort, freePort])
      const common = {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        EVENT_LOG_URL: events.url,
        EVENT_LOG_POOL_MAX: String(events.maxConnections),
        KAFKA_BROKERS: "",
        REDIS_URL: "",
        GRPC_HOST: "127.0.0.1",
        ADMIN_HOST: "127.0.0.1"
      }
      const db = (d: { url: string; maxConnections: number }) => ({
        DATABASE_URL: d.url,
        DATABASE_POOL_MAX: String(d.maxConnections)
      })
      yield* launch("simulator", "packages/payment/src/simulator/main.ts", {
        SIMULATOR_HOST: "127.0.0.1",
        SIMULATOR_PORT: String(simPort)
      }, output)
      yield* launch("product", "packages/product/src/main.ts", {
        ...common,
        ...db(product),
        GRPC_PORT: String(productGrpc),
        ADMIN_PORT: String(productAdmin)
      }, output)
      yield* launch("payment", "packages/payment/src/main.ts", {
        ...common,
        ...db(payment),
        GRPC_PORT: String(paymentGrpc),
        ADMIN_PORT: String(paymentAdmin),
        PAYMENT_PROVIDER_URL: `http://127.0.0.1:${simPort}`
      }, output)
      yield* launch("order", "packages/order/src/main.ts", {
        ...common,
        ...db(order),
        GRPC_PORT: String(orderGrpc),
        ADMIN_PORT: String(orderAdmin),
        PRODUCT_GRPC_ADDR: `127.0.0.1:${productGrpc}`,
        PAYMENT_GRPC_ADDR: `127.0.0.1:${paymentGrpc}`
      }, output)
      yield* launch("notification", "packages/notification/src/main.ts", {
        ...common,
        ...db(notification),
        ADMIN_PORT: String(notificationAdmin),
        GRPC_PORT: "0", // its admin service is not part of this trace
        NOTIFICATION_HTTP_PORT: String(notificationHttp),
        SMTP_URL: `smtp://127.0.0.1:${mailbox.port}`
      }, output)
      yield* launch("gateway", "packages/gateway/src/main.ts", {
        ...common,
        HTTP_HOST: "127.0.0.1",
        HTTP_PORT: String(http),
        ADMIN_PORT: String(admin),
        PRODUCT_GRPC_ADDR: `127.0.0.1:${productGrpc}`,
        ORDER_GRPC_ADDR: `127.0.0.1:${orderGrpc}`,
        JWT_SECRET: secret
      }, output)
      for (const port of [productAdmin, paymentAdmin, orderAdmin, notificationAdmin, admin]) {
        yield* waitReady(`http://127.0.0.1:${port}/readyz`)
      }

      const token = yield* tokenFor(secret, "user_123", ["admin"])
      const base = `http://127.0.0.1:${http}/api/v1`
      const created = yield* post(`${base}/products`, token, {
        name: "Wireless Mouse",
        description: "Ergonomic wireless mouse with 3200 DPI",
        price: 29.99,
        sku: `MOUSE-${Date.now()}`,
        inventory: 100,
        category: "Electronics"
      })
      const accepted = yield* post(`${base}/orders`, token, {
        items: [{ product_id: created.id, quantity: 2 }],
        shipping_address: { street: "123 Main St", city: "San Francisco", state: "CA", zip: "94102" },
        payment_method: "credit_card",
        idempotency_key: `trace-${Date.now()}`
      })
      assert.isString(accepted.order_id)

      // The confirmation reaches the SMTP server (the order's events carry no contact yet: the development fallback,
      // an address derived from the user id, is where the platform sends it).
      const orderId = accepted.order_id as string
      const mail = yield* Effect.flatMap(mailbox.list, (mails) => {
        const found = mails.find((m) => m.subject.includes(orderId))
        return found === undefined ? Effect.fail("no mail yet") : Effect.succeed(found)
      }).pipe(Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 120 }))
      assert.deepStrictEqual(mail.to, ["user_123@customers.shop-mesh.local"])

      // One trace holds every service, and in it the event's way: the relay's publish (order), its processing and
      // the SMTP send (notification).
      const traceId = yield* awaitWholeTrace(otlp.spans)
      assert.match(traceId, /^[0-9a-f]{32}$/)
      const kinds = new Map(otlp.spans.filter((span) => span.traceId === traceId).map((span) => [span.name, span.kind]))
      // OTLP span kinds: 4 producer, 5 consumer, 3 client
      assert.strictEqual(kinds.get("publish shop.orders"), 4)
      assert.strictEqual(kinds.get("process shop.orders"), 5)
      assert.strictEqual(kinds.get("Mailer.send"), 3)
    }).pipe(
      Effect.scoped,
      Effect.tapCause(() => Effect.sync(() => process.stderr.write(output.join("").slice(-20_000))))
    )
  }, 240_000)
})
