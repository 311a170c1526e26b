import { PaymentServiceService } from "@shop/proto/payment/v1/payment"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { VerifiedCaller } from "@shop/service-defaults/grpc/ServiceIdentity"
import { Effect } from "effect"
import { Payments } from "../Payments.ts"
import { Refunds } from "../Refunds.ts"
import { decodeCancel, decodeCharge, decodeLookup, decodeRefund, encodePayment, encodeRefund } from "./PaymentCodec.ts"

/** The calling service as its service token proves it (never a value the caller merely sends); keys are scoped to it. */
const caller = Effect.map(Effect.service(VerifiedCaller), (service) => service ?? "unauthenticated")

/** shop.payment.v1.PaymentService, served through Payments and Refunds: requests decoded at the edge. */
export const PaymentGrpcServer = GrpcService.layer(
  PaymentServiceService,
  Effect.gen(function*() {
    const payments = yield* Payments
    const refunds = yield* Refunds
    return {
      processPayment: (request) =>
        Effect.gen(function*() {
          const command = yield* decodeCharge(request)
          const { payment, replayed } = yield* payments.process({ ...command, caller: yield* caller })
          return { payment: encodePayment(payment), replayed }
        }),
      refundPayment: (request) =>
        Effect.gen(function*() {
          const command = yield* decodeRefund(request)
          const { payment, refund, replayed } = yield* refunds.refund({ ...command, caller: yield* caller })
          return { refund: encodeRefund(refund, payment), payment: encodePayment(payment), replayed }
        }),
      getPayment: (request) =>
        decodeLookup(request).pipe(
          Effect.flatMap(payments.get),
          Effect.map((payment) => ({ payment: encodePayment(payment) }))
        ),
      cancelPayment: (request) =>
        decodeCancel(request).pipe(
          Effect.flatMap(payments.cancel),
          Effect.map(({ payment, settled }) => ({ payment: encodePayment(payment), settled }))
        )
    }
  })
)
