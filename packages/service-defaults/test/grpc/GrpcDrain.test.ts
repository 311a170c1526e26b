import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
import { HealthService } from "@shop/proto/grpc/health/v1/health"
import { GetPaymentResponse, PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { Deferred, Effect, Exit, Fiber, Scope } from "effect"
import * as GrpcClient from "../../src/grpc/GrpcClient.ts"
import * as GrpcService from "../../src/grpc/GrpcService.ts"
import { eventually } from "../../testing/Eventually.ts"
import { startServer } from "./fixtures.ts"

// Opens grpc.health.v1.Health/Watch for the whole server and records every status until the stream ends.
const watchHealth = Effect.fnUntraced(function*(address: string) {
  const statuses: Array<string> = []
  const ended = yield* Deferred.make<void>()
  const client = yield* Effect.acquireRelease(
    Effect.sync(() => new grpc.Client(address, grpc.credentials.createInsecure())),
    (channel) => Effect.sync(() => channel.close())
  )
  const method = HealthService.watch
  const stream = client.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    { service: "" }
  )
  stream.on("data", (response: { status: string }) => statuses.push(response.status))
  stream.on("error", () => Deferred.doneUnsafe(ended, Exit.void))
  stream.on("end", () => Deferred.doneUnsafe(ended, Exit.void))
  return { statuses, ended }
})

const request = { orderId: "ord-1" }

describe("gRPC graceful shutdown", () => {
  it.live("lets a call in flight finish while new calls are refused and health turns NOT_SERVING", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const services = GrpcService.layerPartial(PaymentServiceService, {
        getPayment: ({ orderId }) =>
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Effect.sleep("500 millis")),
            Effect.as(GetPaymentResponse.fromPartial({ payment: { orderId: orderId ?? "" } }))
          )
      })
      const { scope, address } = yield* startServer(services, { shutdownTimeout: "5 seconds" })
      const client = yield* GrpcClient.make({ address, service: "payment" })
      const health = yield* watchHealth(address)

      const inFlight = yield* Effect.forkChild(client.unary(PaymentServiceService.getPayment, request))
      yield* Deferred.await(started)
      const closedAt = Date.now()
      const closing = yield* Effect.forkChild(Scope.close(scope, Exit.void))
      // The server turns NOT_SERVING, then refuses new calls, in one step: once the watch has seen the first, the
      // second holds (a fixed pause could end before a loaded machine got there).
      yield* eventually(
        Effect.sync(() => [...health.statuses]),
        (statuses) => statuses.includes("NOT_SERVING"),
        "5 seconds"
      )

      const fresh = yield* GrpcClient.make({ address, service: "payment" })
      const refused = yield* Effect.flip(fresh.unary(PaymentServiceService.getPayment, request))
      assert.strictEqual(refused._tag, "ServiceUnavailable")
      const refusedOnOpenChannel = yield* Effect.flip(client.unary(PaymentServiceService.getPayment, request))
      assert.strictEqual(refusedOnOpenChannel._tag, "ServiceUnavailable")

      const response = yield* Fiber.join(inFlight)
      assert.strictEqual(response.payment?.orderId, "ord-1")
      yield* Fiber.join(closing)
      assert.isBelow(Date.now() - closedAt, 3000, "drained without waiting for the shutdown timeout")

      yield* Deferred.await(health.ended).pipe(Effect.timeout("1 second"))
      assert.deepStrictEqual(health.statuses, ["SERVING", "NOT_SERVING"])
    }))

  it.live("cancels calls still running at the shutdown timeout and interrupts their fibers", () =>
    Effect.gen(function*() {
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
      const { scope, address } = yield* startServer(services, { shutdownTimeout: "200 millis" })
      const client = yield* GrpcClient.make({ address, service: "payment", deadline: "10 seconds" })
      const stuck = yield* Effect.forkChild(client.unary(PaymentServiceService.getPayment, request))
      yield* Deferred.await(started)

      const closedAt = Date.now()
      yield* Scope.close(scope, Exit.void)
      assert.isBelow(Date.now() - closedAt, 2000)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("1 second"))
      const error = yield* Effect.flip(Fiber.join(stuck))
      assert.strictEqual(error._tag, "ServiceUnavailable")
    }))
})
