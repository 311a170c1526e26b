import { type DomainError, InternalError } from "@shop/domain"
import {
  GetPaymentRequest,
  type Payment,
  PaymentServiceService,
  PaymentStatus,
  ProcessPaymentRequest,
  RefundPaymentRequest
} from "@shop/proto/payment/v1/payment"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { withPeerBreaker } from "@shop/service-defaults/resilience/PeerBreaker"
import { Context, Effect, Layer, Option } from "effect"
import { OrderConfig } from "../OrderConfig.ts"

/** Where a payment stands, as the saga reads it. */
export type ChargeStatus = "pending" | "succeeded" | "failed" | "refunded"

export interface ChargeView {
  readonly paymentId: string
  readonly status: ChargeStatus
  readonly failureReason: string
}

export interface ChargeInput {
  readonly orderId: string
  readonly amountCents: number
  readonly currency: string
  readonly paymentMethod: string
  readonly idempotencyKey: string
}

const statusOf = (status: PaymentStatus): ChargeStatus => {
  switch (status) {
    case PaymentStatus.SUCCEEDED:
    case PaymentStatus.PARTIALLY_REFUNDED:
      return "succeeded"
    case PaymentStatus.FAILED:
      return "failed"
    case PaymentStatus.REFUNDED:
      return "refunded"
    default:
      // PENDING and PENDING_UNKNOWN: the outcome is not known yet and must be waited for, never guessed.
      return "pending"
  }
}

const view = (payment: Payment | undefined): Effect.Effect<ChargeView, InternalError> =>
  payment === undefined
    ? Effect.fail(new InternalError({ detail: "payment: reply without a payment" }))
    : Effect.succeed({
      paymentId: payment.paymentId,
      status: statusOf(payment.status),
      failureReason: payment.failureReason
    })

/** The payment service, as the saga uses it. Charges are keyed by an idempotency key derived from the order id. */
export class PaymentClient extends Context.Service<PaymentClient, {
  readonly charge: (input: ChargeInput) => Effect.Effect<ChargeView, DomainError>
  readonly get: (paymentId: string) => Effect.Effect<ChargeView, DomainError>
  readonly findByOrder: (orderId: string) => Effect.Effect<Option.Option<ChargeView>, DomainError>
  readonly refund: (paymentId: string, idempotencyKey: string, reason: string) => Effect.Effect<void, DomainError>
}>()("order/PaymentClient") {
  static readonly layer = Layer.effect(
    PaymentClient,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const client = yield* GrpcClient.make({
        address: config.paymentAddress,
        service: "payment",
        deadline: config.callTimeout
      }).pipe(Effect.flatMap((peer) =>
        withPeerBreaker(peer, {
          failureThreshold: config.breakerFailureThreshold,
          openDuration: config.breakerCooldown
        })
      ))
      const charge = Effect.fn("PaymentClient.charge")(function*(input: ChargeInput) {
        const res = yield* client.unary(PaymentServiceService.processPayment, ProcessPaymentRequest.fromPartial(input))
        return yield* view(res.payment)
      })
      const get = Effect.fn("PaymentClient.get")(function*(paymentId: string) {
        const res = yield* client.unary(
          PaymentServiceService.getPayment,
          GetPaymentRequest.fromPartial({ paymentId })
        )
        return yield* view(res.payment)
      })
      const findByOrder = Effect.fn("PaymentClient.findByOrder")(function*(orderId: string) {
        return yield* client.unary(
          PaymentServiceService.getPayment,
          GetPaymentRequest.fromPartial({ orderId })
        ).pipe(
          Effect.flatMap((res) => view(res.payment)),
          Effect.map(Option.some),
          Effect.catchTag("NotFound", () => Effect.succeed(Option.none<ChargeView>()))
        )
      })
      const refund = Effect.fn("PaymentClient.refund")(
        function*(paymentId: string, idempotencyKey: string, reason: string) {
          yield* client.unary(
            PaymentServiceService.refundPayment,
            RefundPaymentRequest.fromPartial({ paymentId, idempotencyKey, reason })
          )
        }
      )
      return PaymentClient.of({ charge, get, findByOrder, refund })
    })
  )
}
