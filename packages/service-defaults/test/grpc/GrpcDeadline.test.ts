import { assert, describe, it } from "@effect/vitest"
import { DeadlineExceeded } from "@shop/domain"
import { GetPaymentResponse, PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { Deferred, Effect, Fiber, Metric } from "effect"
import * as GrpcClient from "../../src/grpc/GrpcClient.ts"
import { handledTotal } from "../../src/grpc/GrpcMetrics.ts"
import * as GrpcService from "../../src/grpc/GrpcService.ts"
import { eventually } from "../../testing/Eventually.ts"
import { startServer } from "./fixtures.ts"

// A GetPayment handler that never answers and reports when it starts and when it is interrupted.
const hangingPayments = Effect.gen(function*() {
  const started = yield* Deferred.make<void>()
  const interrupted = yield* Deferred.make<void>()
  const services = GrpcService.layerPartial(PaymentServiceService, {
    getPayment: () =>
      Deferred.succeed(started, undefined).pipe(
        Effect.andThen(Effect.never),
        Effect.as(GetPaymentResponse.create()),
        Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
      )
  })
  const { address } = yield* startServer(services)
  const client = yield* GrpcClient.make({ address, service: "payment", deadline: "250 millis" })
  return { started, interrupted, client }
})

const handled = (code: string) =>
  Metric.value(Metric.withAttributes(handledTotal, {
    service: "shop.payment.v1.PaymentService",
    method: "GetPayment",
    code
  })).pipe(Effect.map((state) => state.count))

describe("gRPC deadlines", () => {
  it.live("a handler slower than the call's deadline gives DeadlineExceeded quickly and is interrupted", () =>
    Effect.gen(function*() {
      const { interrupted, client } = yield* hangingPayments
      const before = yield* handled("DEADLINE_EXCEEDED")
      const startedAt = Date.now()
      const error = yield* Effect.flip(
        client.unary(PaymentServiceService.getPayment, { paymentId: "pay-1" }, { deadline: "100 millis" })
      )
      const elapsed = Date.now() - startedAt
      assert.deepStrictEqual(error, new DeadlineExceeded({ service: "payment" }))
      assert.isBelow(elapsed, 1000)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
      // The metric is recorded when the interrupted fiber has ended, a moment after it was interrupted: waited for
      // (a loaded machine can take longer than any fixed pause), then counted once.
      const after = yield* eventually(handled("DEADLINE_EXCEEDED"), (count) => count > before, "5 seconds")
      assert.strictEqual(after - before, 1)
    }))

  it.live("without a per-call deadline the client's default applies", () =>
    Effect.gen(function*() {
      const { interrupted, client } = yield* hangingPayments
      const startedAt = Date.now()
      const error = yield* Effect.flip(client.unary(PaymentServiceService.getPayment, { orderId: "ord-1" }))
      assert.strictEqual(error._tag, "DeadlineExceeded")
      assert.isAtLeast(Date.now() - startedAt, 200)
      assert.isBelow(Date.now() - startedAt, 1500)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
    }))

  it.live("interrupting the caller cancels the call and interrupts the server fiber", () =>
    Effect.gen(function*() {
      const { started, interrupted, client } = yield* hangingPayments
      const call = client.unary(PaymentServiceService.getPayment, { paymentId: "pay-2" }, { deadline: "10 seconds" })
      const fiber = yield* Effect.forkChild(call)
      yield* Deferred.await(started).pipe(Effect.timeout("2 seconds"))
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
    }))
})
