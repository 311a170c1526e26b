import { PaymentServiceService } from "@shop/proto/payment/v1/payment"
import { GrpcCall } from "@shop/service-defaults/grpc/GrpcService"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { Effect } from "effect"
import { Payments } from "../Payments.ts"
import { Refunds } from "../Refunds.ts"
import { fromPayment, fromRefund, toLookup, toProcessPayment, toRefundPayment } from "./PaymentCodec.ts"

/** The metadata key naming the calling service; idempotency keys are scoped to it. */
export const callerMetadataKey = "x-caller"

const caller = Effect.map(GrpcCall, (call) => {
  const value = call.metadata.get(callerMetadataKey)[0]
  return typeof value === "string" && value !== "" ? value : "unknown"
})

/** shop.payment.v1.PaymentService, served through Payments and Refunds. */
export const PaymentGrpcServer = GrpcService.layer(
  PaymentServiceService,
  Effect.gen(function*() {
    const payments = yield* Payments
    const refunds = yield* Refunds
    return {
      processPayment: (request) =>
        Effect.flatMap(caller, (who) => payments.process(toProcessPayment(request, who))).pipe(
          Effect.map(({ replayed, view }) => ({ payment: fromPayment(view), replayed }))
        ),
      refundPayment: (request) =>
        Effect.flatMap(caller, (who) => refunds.refund(toRefundPayment(request, who))).pipe(
          Effect.map(({ refund, replayed, view }) => ({
            refund: fromRefund(refund, view.payment.currency),
            payment: fromPayment(view),
            replayed
          }))
        ),
      getPayment: (request) =>
        toLookup(request).pipe(
          Effect.flatMap(payments.get),
          Effect.map((view) => ({ payment: fromPayment(view) }))
        )
    }
  })
)
