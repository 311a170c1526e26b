import { assert, describe, it } from "@effect/vitest"
import { GetPaymentResponse, PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { Effect } from "effect"
import * as GrpcClient from "../../src/grpc/GrpcClient.ts"
import * as GrpcService from "../../src/grpc/GrpcService.ts"
import { startServer } from "./fixtures.ts"

/** A payment service replica that counts the calls it served. */
const replica = (served: { count: number }) =>
  GrpcService.layerPartial(PaymentServiceService, {
    getPayment: (request) =>
      Effect.sync(() => {
        served.count++
        return GetPaymentResponse.fromPartial({ payment: { paymentId: "pay-1", orderId: request.orderId ?? "" } })
      })
  })

describe("gRPC load balancing", () => {
  it.live("spreads calls over every address of the target, call by call", () =>
    Effect.gen(function*() {
      const a = { count: 0 }
      const b = { count: 0 }
      const first = yield* startServer(replica(a))
      const second = yield* startServer(replica(b))
      // Two replicas behind one target, as a headless Service's DNS name resolves to every pod.
      const client = yield* GrpcClient.make({
        address: `ipv4:${first.address},${second.address}`,
        service: "payment"
      })
      for (let i = 0; i < 40; i++) yield* client.unary(PaymentServiceService.getPayment, { orderId: `ord_${i}` })
      assert.strictEqual(a.count + b.count, 40)
      assert.isAtLeast(a.count, 10, `replica A served ${a.count} of 40`)
      assert.isAtLeast(b.count, 10, `replica B served ${b.count} of 40`)
    }))

  it.live("reaches a peer through a dns:/// target, as the Kubernetes and compose configurations name them", () =>
    Effect.gen(function*() {
      const served = { count: 0 }
      const server = yield* startServer(replica(served))
      const client = yield* GrpcClient.make({ address: `dns:///localhost:${server.server.port}`, service: "payment" })
      const answer = yield* client.unary(PaymentServiceService.getPayment, { orderId: "ord_dns" })
      assert.strictEqual(answer.payment?.orderId, "ord_dns")
      assert.strictEqual(served.count, 1)
    }))

  it.live("keeps answering while the server recycles connections past their maximum age", () =>
    Effect.gen(function*() {
      const served = { count: 0 }
      const server = yield* startServer(replica(served), { maxConnectionAge: "200 millis" })
      const client = yield* GrpcClient.make({ address: server.address, service: "payment" })
      // Calls for at least 1.5 s (seven connection ages) and at least 30 of them, however slow the machine is.
      const deadline = Date.now() + 1_500
      let calls = 0
      while (Date.now() < deadline || calls < 30) {
        yield* client.unary(PaymentServiceService.getPayment, { orderId: `ord_${calls}` })
        calls++
        yield* Effect.sleep("20 millis")
      }
      assert.strictEqual(served.count, calls, "every call was answered across several connection ages")
    }))
})
