import { IdempotencyKey, type Order, type OrderFailureReason, type OrderId, stampEvent } from "@shop/domain"
import { Clock, Context, DateTime, Duration, Effect, Layer } from "effect"
import { PaymentClient } from "./clients/PaymentClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { OrderConfig } from "./OrderConfig.ts"
import * as OrderTransitions from "./OrderTransitions.ts"
import { advance, finish, retry, retryOn, step, type StepTable } from "./saga/Saga.ts"
import { SagaFailure, type SagaState } from "./saga/SagaState.ts"

/** The idempotency keys of the saga's side effects, derived from the order id so that every retry repeats them. */
export const chargeKey = (orderId: OrderId) => IdempotencyKey.make(`order-charge-${orderId}`)
export const refundKey = (orderId: OrderId) => IdempotencyKey.make(`order-refund-${orderId}`)

const failure = (reason: OrderFailureReason, detail: string) => new SagaFailure({ reason, detail })
const expired = failure("timeout", "reservation_expired")
const declined = (code: string | undefined) => failure("payment_declined", `payment_declined: ${code ?? "declined"}`)
const lines = (order: Order) => order.items.map(({ productId, quantity }) => ({ productId, quantity }))

/**
 * The checkout of an order, step by step: reserve the stock, charge the payment, commit the stock; and the
 * compensations, refund and release. Every call is keyed by the order id, so a step run twice (after a crash between
 * its call and its stored decision) does the work once. Forward steps give up after SAGA_MAX_ATTEMPTS (their
 * `retry` has an `orElse`); compensations and waiting for an unknown payment outcome retry without limit.
 */
export class CheckoutSaga extends Context.Service<CheckoutSaga, StepTable>()("order/CheckoutSaga") {
  static readonly layer = Layer.effect(
    CheckoutSaga,
    Effect.gen(function*() {
      const products = yield* ProductClient
      const payments = yield* PaymentClient
      const config = yield* OrderConfig

      const reserve = step({
        run: (_, order) =>
          Effect.map(
            products.reserve(order.id, lines(order)),
            (held) => advance("charge", { reservationExpiresAt: held.expiresAt })
          ),
        onError: (error) => {
          switch (error._tag) {
            case "InsufficientStock":
              return advance("release", {
                failure: failure("insufficient_stock", `insufficient_stock: ${error.productId}`)
              })
            case "ReservationGone":
              return advance("release", { failure: expired })
            default:
              return retryOn(error, advance("release", { failure: failure("timeout", "product_unavailable") }))
          }
        }
      })

      // No charge without stock: the reservation must still be held, with time left to commit it.
      const stockStillHeld = (saga: SagaState, order: Order) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const expiresAt = saga.reservationExpiresAt === undefined
            ? 0
            : DateTime.toEpochMillis(saga.reservationExpiresAt)
          if (now >= expiresAt - Duration.toMillis(config.reservationMargin)) return false
          return yield* Effect.as(products.reserve(order.id, lines(order)), true).pipe(
            Effect.catchTag("ReservationGone", () => Effect.succeed(false))
          )
        })

      const charge = step({
        run: (saga, order) =>
          Effect.gen(function*() {
            const held = yield* stockStillHeld(saga, order).pipe(Effect.result)
            if (held._tag === "Failure") return retryOn(held.failure)
            if (!held.success) return advance("release", { failure: expired })
            const payment = yield* payments.charge({
              orderId: order.id,
              amountCents: order.totalCents,
              currency: order.currency,
              method: order.paymentMethod,
              idempotencyKey: chargeKey(order.id)
            })
            const recorded = OrderTransitions.paymentStarted(order, payment.id, yield* DateTime.now)
            const facts = { paymentId: payment.id }
            switch (payment.status) {
              case "succeeded":
                return advance("commit", facts, recorded)
              case "pending":
              case "pending_unknown":
                return advance("await_payment", facts, recorded)
              default:
                return advance("release", { ...facts, failure: declined(payment.failureReason) }, recorded)
            }
          }),
        onError: (error) => {
          if (error._tag === "PaymentDeclined") return advance("release", { failure: declined(error.reason) })
          // Unknown outcome: the refund step looks the payment up by order id and undoes whatever happened.
          const giveUp = advance("refund", {
            failure: failure("payment_unavailable", `payment_unavailable: ${error._tag}`)
          })
          return error._tag === "IdempotencyKeyReused" || error._tag === "Conflict" ? giveUp : retryOn(error, giveUp)
        }
      })

      // pending_unknown is waited for with backoff and no attempt limit: only the processor knows the outcome.
      const awaitPayment = step({
        run: (saga) =>
          Effect.map(payments.get(saga.paymentId!), (payment) => {
            switch (payment.status) {
              case "succeeded":
                return advance("commit", { paymentId: payment.id })
              case "pending":
              case "pending_unknown":
                return retry("payment pending")
              case "refunded":
                return advance("release", { refunded: true, failure: failure("internal", "refunded") })
              case "failed":
                return advance("release", { failure: declined(payment.failureReason) })
            }
          }),
        onError: (error) => retryOn(error)
      })

      const commit = step({
        run: (saga, order) =>
          Effect.gen(function*() {
            yield* products.commit(order.id)
            const trackingNumber = yield* OrderTransitions.mintTrackingNumber
            const stamp = yield* stampEvent(saga.traceparent)
            return finish(
              "confirmed",
              OrderTransitions.confirm(order, { paymentId: saga.paymentId!, trackingNumber }, stamp)
            )
          }),
        onError: (error) => error._tag === "ReservationGone" ? advance("refund", { failure: expired }) : retryOn(error)
      })

      const refund = step({
        run: (saga, order) =>
          Effect.gen(function*() {
            const found = yield* payments.findByOrder(order.id)
            if (found._tag === "None" || found.value.status === "failed") return advance("release")
            const payment = found.value
            if (payment.status === "pending" || payment.status === "pending_unknown") return retry("payment pending")
            if (payment.status === "refunded") return advance("release", { refunded: true })
            yield* payments.refund(payment.id, refundKey(order.id), saga.failure?.reason ?? "order_failed")
            return advance("release", { refunded: true, paymentId: payment.id })
          }),
        onError: (error) => retryOn(error)
      })

      const release = step({
        run: (saga, order) =>
          Effect.gen(function*() {
            yield* products.release(order.id, saga.failure?.reason ?? "order_failed")
            const stamp = yield* stampEvent(saga.traceparent)
            const change = { failure: saga.failure, paymentId: saga.paymentId, refunded: saga.refunded }
            return finish("failed", OrderTransitions.fail(order, change, stamp))
          }),
        onError: (error) => retryOn(error)
      })

      return CheckoutSaga.of({ reserve, charge, await_payment: awaitPayment, commit, refund, release })
    })
  )
}
