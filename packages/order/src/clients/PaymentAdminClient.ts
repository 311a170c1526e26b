import type { OperationError, Unreachable } from "@shop/domain"
import * as proto from "@shop/proto/payment/v1/payment_admin"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { Context, Effect, Layer } from "effect"
import { OrderConfig } from "../OrderConfig.ts"

/**
 * shop.payment.v1.PaymentAdminService as the order service relays it to the operator console: the gateway may not
 * reach payment (only order moves money), so the console's refund views and the processor's breaker come through
 * here. The answers pass through unchanged (the order service adds nothing to them); the gateway decodes them with
 * the contract's schemas. Not behind the saga's breaker: an operator's look must not count against checkouts.
 */
export class PaymentAdminClient extends Context.Service<PaymentAdminClient, {
  readonly listParkedRefunds: Effect.Effect<
    ReadonlyArray<proto.ParkedRefund>,
    OperationError<"listParkedRefunds"> | Unreachable
  >
  readonly retryRefund: (
    refundId: string
  ) => Effect.Effect<proto.RetryRefundResponse, OperationError<"retryRefund"> | Unreachable>
  readonly processorBreaker: Effect.Effect<proto.GetProcessorBreakerResponse, Unreachable>
}>()("order/PaymentAdminClient") {
  static readonly layer = Layer.effect(
    PaymentAdminClient,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const peer = yield* GrpcClient.make({
        address: config.paymentAddress,
        service: "payment",
        deadline: config.callTimeout
      })
      const rpc = proto.PaymentAdminServiceService
      return PaymentAdminClient.of({
        listParkedRefunds: Effect.map(
          peer.call(rpc.listParkedRefunds, {}, "listParkedRefunds"),
          (reply) => reply.refunds
        ).pipe(Effect.withSpan("PaymentAdminClient.listParkedRefunds")),
        retryRefund: (refundId) =>
          peer.call(rpc.retryRefund, { refundId }, "retryRefund").pipe(
            Effect.withSpan("PaymentAdminClient.retryRefund")
          ),
        processorBreaker: peer.call(rpc.getProcessorBreaker, {}, "listBreakers").pipe(
          Effect.withSpan("PaymentAdminClient.processorBreaker")
        )
      })
    })
  )
}
