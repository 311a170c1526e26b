import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { InternalError, NotFound, ValidationError } from "@shop/domain"
import { GetPaymentResponse, PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { GetProductResponse, ProductServiceService } from "@shop/proto/product/v1/product"
import { Config, ConfigProvider, Context, Duration, Effect, Layer, Metric, Option, Tracer } from "effect"
import { PrometheusMetrics } from "effect/observability"
import * as GrpcClient from "../../src/grpc/GrpcClient.ts"
import { checkHealth } from "../../src/grpc/GrpcHealth.ts"
import { handledTotal, handlingSeconds } from "../../src/grpc/GrpcMetrics.ts"
import * as GrpcServer from "../../src/grpc/GrpcServer.ts"
import * as GrpcService from "../../src/grpc/GrpcService.ts"
import { countStackCaptures } from "../stackCaptures.ts"
import { startServer } from "./fixtures.ts"

// The second hop: answers with what it received, or fails with a domain error chosen by the order id.
const payments = (received: Array<grpc.Metadata>) =>
  GrpcService.layerPartial(PaymentServiceService, {
    getPayment: (request) =>
      Effect.gen(function*() {
        received.push((yield* GrpcService.GrpcCall).metadata)
        if (request.orderId === "missing") return yield* new NotFound({ entity: "payment", id: "missing" })
        if (request.orderId === "unicode") return yield* new ValidationError({ detail: "refusé ☃", field: "é" })
        if (request.orderId === "bug") return yield* Effect.die(new Error("secret stack"))
        return GetPaymentResponse.fromPartial({
          payment: { paymentId: "pay-1", orderId: request.orderId ?? "", amountCents: 4200, currency: "EUR" }
        })
      })
  })

class PaymentPeer extends Context.Service<PaymentPeer, GrpcClient.GrpcClient>()("test/PaymentPeer") {}

// The first hop: a ProductService whose handler calls the payment service through GrpcClient.
const products = GrpcService.layerPartial(ProductServiceService, {
  getProduct: (request) =>
    Effect.gen(function*() {
      const peer = yield* PaymentPeer
      const { payment } = yield* peer.unary(PaymentServiceService.getPayment, { orderId: request.id })
      return GetProductResponse.fromPartial({
        product: { id: request.id, name: "Mug", priceCents: payment?.amountCents ?? 0 }
      })
    })
})

const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const parentId = (span: Tracer.Span) => Option.getOrUndefined(span.parent)?.spanId

const findSpan = (spans: ReadonlyArray<Tracer.Span>, name: string, kind: Tracer.SpanKind): Tracer.Span => {
  const span = spans.find((s) => s.name === name && s.kind === kind)
  assert.isDefined(span, `${kind} span ${name}`)
  return span!
}

const handledCount = (service: string, method: string, code: string) =>
  Metric.value(Metric.withAttributes(handledTotal, { service, method, code })).pipe(Effect.map((state) => state.count))

const twoServices = Effect.gen(function*() {
  const received: Array<grpc.Metadata> = []
  const payment = yield* startServer(payments(received))
  const paymentPeer = Layer.effect(PaymentPeer, GrpcClient.make({ address: payment.address, service: "payment" }))
  const front = yield* startServer(products.pipe(Layer.provide(paymentPeer)))
  const client = yield* GrpcClient.make({ address: front.address, service: "product" })
  return { received, payment, front, client }
})

describe("gRPC between two services", () => {
  it.live("propagates the trace through both hops", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function*() {
      const { received, client } = yield* twoServices
      const metadata = new grpc.Metadata()
      metadata.set("tracestate", "shop=abc")
      const [root, response] = yield* Effect.all([
        Effect.currentSpan,
        client.unary(ProductServiceService.getProduct, { id: "ord-1" }, { metadata })
      ]).pipe(Effect.withSpan("checkout"))
      assert.strictEqual(response.product?.priceCents, 4200)

      const frontClient = findSpan(spans, "shop.product.v1.ProductService/GetProduct", "client")
      const frontServer = findSpan(spans, "shop.product.v1.ProductService/GetProduct", "server")
      const paymentClient = findSpan(spans, "shop.payment.v1.PaymentService/GetPayment", "client")
      const paymentServer = findSpan(spans, "shop.payment.v1.PaymentService/GetPayment", "server")
      for (const span of [frontClient, frontServer, paymentClient, paymentServer]) {
        assert.strictEqual(span.traceId, root.traceId)
        assert.strictEqual(span.status._tag, "Ended")
      }
      assert.strictEqual(parentId(frontClient), root.spanId)
      assert.strictEqual(parentId(frontServer), frontClient.spanId)
      assert.strictEqual(parentId(paymentClient), frontServer.spanId)
      assert.strictEqual(parentId(paymentServer), paymentClient.spanId)
      assert.strictEqual(paymentServer.attributes.get("rpc.method"), "GetPayment")

      assert.deepStrictEqual(received[0]?.get("traceparent"), [`00-${root.traceId}-${paymentClient.spanId}-01`])
      assert.deepStrictEqual(received[0]?.get("tracestate"), ["shop=abc"])
    }).pipe(Effect.provideService(Tracer.Tracer, tracer))
  })

  it.live("carries typed errors across both hops and hides defects", () =>
    Effect.gen(function*() {
      const { client } = yield* twoServices
      const fail = (id: string) => Effect.flip(client.unary(ProductServiceService.getProduct, { id }))
      assert.deepStrictEqual(yield* fail("missing"), new NotFound({ entity: "payment", id: "missing" }))
      assert.deepStrictEqual(yield* fail("unicode"), new ValidationError({ detail: "refusé ☃", field: "é" }))
      const defect = yield* fail("bug")
      assert.deepStrictEqual(defect, new InternalError({ detail: "payment: internal error" }))
      assert.notInclude(JSON.stringify(defect), "secret")
    }))

  it.live("a successful call walks no stack on either side of either hop", () =>
    Effect.gen(function*() {
      const { client } = yield* twoServices
      const call = client.unary(ProductServiceService.getProduct, { id: "ord-1" })
      yield* call // connections and lazily built parts first
      const { captures, value } = yield* countStackCaptures(Effect.forEach([1, 2, 3, 4, 5], () => call))
      assert.strictEqual(value[4]?.product?.priceCents, 4200)
      // grpc-js records each caller's stack with a `new Error` unless the client stops it (GrpcClient.invoke).
      assert.strictEqual(captures, 0)
    }))

  it.live("answers grpc.health.v1 checks", () =>
    Effect.gen(function*() {
      const { payment, front } = yield* twoServices
      assert.strictEqual(yield* checkHealth(front.address), "SERVING")
      assert.strictEqual(yield* checkHealth(front.address, "shop.product.v1.ProductService"), "SERVING")
      assert.strictEqual(yield* checkHealth(payment.address, "shop.payment.v1.PaymentService"), "SERVING")
      assert.strictEqual(yield* checkHealth(front.address, "shop.nope.v1.Nope"), "UNKNOWN")
      yield* payment.server.setServingStatus("shop.payment.v1.PaymentService", "NOT_SERVING")
      assert.strictEqual(yield* checkHealth(payment.address, "shop.payment.v1.PaymentService"), "NOT_SERVING")
      assert.strictEqual(yield* checkHealth("127.0.0.1:1", "", "500 millis"), "UNREACHABLE")
    }))

  it.live("counts handled calls by service, method and code", () =>
    Effect.gen(function*() {
      const { client } = yield* twoServices
      yield* client.unary(ProductServiceService.getProduct, { id: "ord-1" })
      yield* client.unary(ProductServiceService.getProduct, { id: "ord-2" })
      yield* Effect.flip(client.unary(ProductServiceService.getProduct, { id: "missing" }))
      assert.strictEqual(yield* handledCount("shop.product.v1.ProductService", "GetProduct", "OK"), 2)
      assert.strictEqual(yield* handledCount("shop.product.v1.ProductService", "GetProduct", "NOT_FOUND"), 1)
      assert.strictEqual(yield* handledCount("shop.payment.v1.PaymentService", "GetPayment", "OK"), 2)
      const latency = yield* Metric.value(Metric.withAttributes(handlingSeconds, {
        service: "shop.product.v1.ProductService",
        method: "GetProduct"
      }))
      assert.strictEqual(latency.count, 3)
      const text = yield* PrometheusMetrics.format()
      assert.include(
        text,
        `grpc_server_handled_total{service="shop.payment.v1.PaymentService",method="GetPayment",code="OK"} 2`
      )
      assert.include(text, "grpc_server_handling_seconds_bucket{")
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map())))

  it.live("reads server and client settings from configuration", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(GrpcServer.layerConfig(payments([]), {
        host: Config.String("PAYMENT_GRPC_HOST"),
        port: Config.Int("PAYMENT_GRPC_PORT"),
        shutdownTimeout: Config.Duration("PAYMENT_GRPC_SHUTDOWN_TIMEOUT"),
        maxConnectionAge: Config.Duration("PAYMENT_GRPC_MAX_CONNECTION_AGE").pipe(
          Config.withDefault(Duration.minutes(5))
        )
      }))
      const server = Context.get(context, GrpcServer.GrpcServer)
      assert.deepStrictEqual(server.services, ["shop.payment.v1.PaymentService"])
      const client = yield* GrpcClient.makeConfig({
        address: Config.succeed(`127.0.0.1:${server.port}`),
        service: Config.succeed("payment"),
        deadline: Config.Duration("PAYMENT_GRPC_DEADLINE")
      })
      const { payment } = yield* client.unary(PaymentServiceService.getPayment, { orderId: "ord-9" })
      assert.strictEqual(payment?.orderId, "ord-9")
    }).pipe(Effect.provideService(
      ConfigProvider.ConfigProvider,
      ConfigProvider.fromUnknown({
        PAYMENT_GRPC_HOST: "127.0.0.1",
        PAYMENT_GRPC_PORT: "0",
        PAYMENT_GRPC_SHUTDOWN_TIMEOUT: "2 seconds",
        PAYMENT_GRPC_DEADLINE: "1 second"
      })
    )))
})
