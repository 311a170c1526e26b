import { decodeInput } from "@shop/domain"
import * as proto from "@shop/proto/payment/v1/payment_admin"
import * as GrpcService from "@shop/service-defaults/grpc/GrpcService"
import { breakerState } from "@shop/service-defaults/resilience/BreakerStates"
import { DateTime, Effect, Schema } from "effect"
import { ParkedRefunds } from "../ParkedRefunds.ts"
import { RefundId } from "../PaymentRecord.ts"
import { providerDependency } from "../ProviderBreaker.ts"
import { refundStatus } from "./PaymentCodec.ts"

const decodeRetry = decodeInput(Schema.Struct({ refundId: RefundId }))

/**
 * shop.payment.v1.PaymentAdminService: parked refunds and the card processor's breaker, for the operator console.
 * Only the order service may call it (CallerPolicy), which relays it to the gateway's admins.
 */
export const PaymentAdminGrpcServer = GrpcService.layer(
  proto.PaymentAdminServiceService,
  Effect.gen(function*() {
    const parked = yield* ParkedRefunds
    return {
      listParkedRefunds: () =>
        Effect.map(parked.list, (refunds) => ({
          refunds: refunds.map(({ payment, refund }) => ({
            refundId: refund.id,
            paymentId: refund.paymentId,
            orderId: payment.orderId,
            amountCents: refund.amountCents,
            currency: payment.currency,
            attempts: refund.attempts,
            lastError: refund.lastError ?? "",
            reason: refund.reason,
            createdAt: DateTime.formatIso(refund.createdAt),
            updatedAt: DateTime.formatIso(refund.updatedAt)
          }))
        })),
      retryRefund: (request) =>
        decodeRetry(request).pipe(
          Effect.flatMap(({ refundId }) => parked.retry(refundId)),
          Effect.map((refund) => ({
            refundId: refund.id,
            status: refundStatus[refund.status],
            attempts: refund.attempts,
            lastError: refund.lastError ?? ""
          }))
        ),
      getProcessorBreaker: () =>
        Effect.map(breakerState(providerDependency), (state) => ({ dependency: providerDependency, state }))
    }
  })
)
