import {
  type Cents,
  type Currency,
  decodeInput,
  type IdempotencyKey,
  type NotFound,
  type OperationError,
  type OrderId,
  Payment,
  type PaymentId,
  type PaymentMethod,
  type PaymentStatus,
  type RefundStatus,
  type Unreachable
} from "@shop/domain"
import * as proto from "@shop/proto/payment/v1/payment"
import * as GrpcClient from "@shop/service-defaults/grpc/GrpcClient"
import { withPeerBreaker } from "@shop/service-defaults/resilience/PeerBreaker"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Effect, Layer, Option } from "effect"
import { OrderConfig } from "../OrderConfig.ts"

/** A charge of an order's total, keyed so that every retry of it is the same request. */
export interface ChargeRequest {
  readonly orderId: OrderId
  readonly amountCents: Cents
  readonly currency: Currency
  readonly method: PaymentMethod
  readonly idempotencyKey: IdempotencyKey
}

const statuses: Record<proto.PaymentStatus, PaymentStatus | undefined> = {
  [proto.PaymentStatus.UNSPECIFIED]: undefined,
  [proto.PaymentStatus.UNRECOGNIZED]: undefined,
  [proto.PaymentStatus.PENDING]: "pending",
  [proto.PaymentStatus.PENDING_UNKNOWN]: "pending_unknown",
  [proto.PaymentStatus.SUCCEEDED]: "succeeded",
  // The domain tells a partial refund by `refundedCents`, never by calling it a plain success.
  [proto.PaymentStatus.PARTIALLY_REFUNDED]: "succeeded",
  [proto.PaymentStatus.FAILED]: "failed",
  [proto.PaymentStatus.REFUNDED]: "refunded"
}

const refundStatuses: Record<proto.RefundStatus, RefundStatus | undefined> = {
  [proto.RefundStatus.UNSPECIFIED]: undefined,
  [proto.RefundStatus.UNRECOGNIZED]: undefined,
  [proto.RefundStatus.PENDING]: "pending",
  [proto.RefundStatus.SUCCEEDED]: "succeeded",
  [proto.RefundStatus.FAILED]: "failed",
  [proto.RefundStatus.PARKED]: "parked"
}

const ifSet = <K extends string>(key: K, value: string) => (value === "" ? {} : { [key]: value })

const decodePayment = decodeInput(Payment)

/** The payment of a reply, in domain types; a reply that does not decode is a bug of the peer: a defect. */
const toPayment = (payment: proto.Payment | undefined): Effect.Effect<Payment> =>
  Effect.orDie(decodePayment(
    payment === undefined ? undefined : {
      id: payment.paymentId,
      orderId: payment.orderId,
      amountCents: payment.amountCents,
      currency: payment.currency,
      method: payment.paymentMethod,
      status: statuses[payment.status],
      idempotencyKey: payment.idempotencyKey,
      ...ifSet("transactionId", payment.providerChargeId),
      ...ifSet("failureReason", payment.failureReason),
      refundedCents: payment.refundedCents,
      refunds: payment.refunds.map((refund) => ({
        id: refund.refundId,
        paymentId: refund.paymentId,
        amountCents: refund.amountCents,
        status: refundStatuses[refund.status],
        ...ifSet("transactionId", refund.providerRefundId),
        ...ifSet("failureReason", refund.failureReason),
        ...ifSet("idempotencyKey", refund.idempotencyKey),
        reason: refund.reason,
        createdAt: refund.createdAt
      })),
      createdAt: payment.createdAt,
      updatedAt: payment.updatedAt
    }
  ))

/** The payment service, as the saga uses it; every call is keyed by the order. */
export class PaymentClient extends Context.Service<PaymentClient, {
  /** The payment after the attempt: succeeded, failed, or pending(_unknown) while the outcome is not known. */
  readonly charge: (request: ChargeRequest) => Effect.Effect<Payment, OperationError<"chargePayment"> | Unreachable>
  readonly get: (paymentId: PaymentId) => Effect.Effect<Payment, NotFound | Unreachable>
  readonly findByOrder: (orderId: OrderId) => Effect.Effect<Option.Option<Payment>, Unreachable>
  /** Refunds what is left of the payment; the answer is the payment after the refund, with its refunds. */
  readonly refund: (
    paymentId: PaymentId,
    idempotencyKey: IdempotencyKey,
    reason: string
  ) => Effect.Effect<Payment, OperationError<"refundPayment"> | Unreachable>
  /**
   * Settles the payment of an order being given up: `settled` once nothing is charged any more, as the processor
   * confirmed (no charge, a declined one, or a confirmed refund). Call it again until settled.
   */
  readonly cancel: (
    request: ChargeRequest & { readonly reason: string }
  ) => Effect.Effect<{ readonly payment: Payment; readonly settled: boolean }, Unreachable>
}>()("order/PaymentClient") {
  static readonly layer = Layer.effect(
    PaymentClient,
    Effect.gen(function*() {
      const config = yield* OrderConfig
      const peer = yield* GrpcClient.make({
        address: config.paymentAddress,
        service: "payment",
        deadline: config.callTimeout
      }).pipe(Effect.flatMap((client) =>
        withPeerBreaker(client, {
          failureThreshold: config.breakerFailureThreshold,
          openDuration: config.breakerCooldown
        })
      ))
      const Rpc = proto.PaymentServiceService

      const charge = traced("PaymentClient.charge")(function*(request: ChargeRequest) {
        const reply = yield* peer.call(Rpc.processPayment, {
          orderId: request.orderId,
          amountCents: request.amountCents,
          currency: request.currency,
          paymentMethod: request.method,
          idempotencyKey: request.idempotencyKey
        }, "chargePayment")
        return yield* toPayment(reply.payment)
      })
      const get = traced("PaymentClient.get")(function*(paymentId: PaymentId) {
        return yield* toPayment((yield* peer.call(Rpc.getPayment, { paymentId }, "getPayment")).payment)
      })
      const findByOrder = traced("PaymentClient.findByOrder")(function*(orderId: OrderId) {
        return yield* peer.call(Rpc.getPayment, { orderId }, "getPayment").pipe(
          Effect.flatMap((reply) => toPayment(reply.payment)),
          Effect.map(Option.some),
          Effect.catchTag("NotFound", () => Effect.succeed(Option.none<Payment>()))
        )
      })
      const refund = traced("PaymentClient.refund")(
        function*(paymentId: PaymentId, idempotencyKey: IdempotencyKey, reason: string) {
          const reply = yield* peer.call(Rpc.refundPayment, { paymentId, idempotencyKey, reason }, "refundPayment")
          return yield* toPayment(reply.payment)
        }
      )
      const cancel = traced("PaymentClient.cancel")(function*(request: ChargeRequest & { readonly reason: string }) {
        const reply = yield* peer.call(Rpc.cancelPayment, {
          orderId: request.orderId,
          amountCents: request.amountCents,
          currency: request.currency,
          paymentMethod: request.method,
          reason: request.reason
        }, "cancelPayment")
        return { payment: yield* toPayment(reply.payment), settled: reply.settled }
      })
      return PaymentClient.of({ charge, get, findByOrder, refund, cancel })
    })
  )
}
