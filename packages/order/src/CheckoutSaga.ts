import { type Order, stampEvent } from "@shop/domain"
import { Clock, Context, DateTime, Duration, Effect, Layer } from "effect"
import { chargeOf, declined, expired, failure, stockLines, unavailable } from "./CheckoutTerms.ts"
import { PaymentClient } from "./clients/PaymentClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { OrderConfig } from "./OrderConfig.ts"
import * as OrderTransitions from "./OrderTransitions.ts"
import { advance, finish, proceed, retry, retryOn, step, type StepTable } from "./saga/Saga.ts"
import type { ActiveStep, SagaFailure, SagaState } from "./saga/SagaState.ts"

/**
 * The checkout of an order: reserve the stock, charge the payment, commit the stock; and the compensations. Every
 * call is keyed by the order id, so a step run twice (a crash between its call and its stored decision) does the
 * work once. Money first: once a charge may have been sent, the order is failed only through `refund`, which settles
 * the payment with the payment service (nothing charged, or a refund the processor confirmed) before `release` gives
 * the stock back. Forward steps give up after SAGA_MAX_ATTEMPTS (a `retry` with an `orElse`); waiting for the
 * processor and the compensations retry without limit.
 */
export class CheckoutSaga extends Context.Service<CheckoutSaga, StepTable>()("order/CheckoutSaga") {
  static readonly layer = Layer.effect(
    CheckoutSaga,
    Effect.gen(function*() {
      const products = yield* ProductClient
      const payments = yield* PaymentClient
      const config = yield* OrderConfig
      const settle = (cause: SagaFailure) => advance("refund", { failure: cause })

      const reserve = step({
        run: (_, order) =>
          Effect.map(
            products.reserve(order.id, stockLines(order)),
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

      // No charge without stock: the reservation must still be held, with time left to commit it. Right after the
      // reserve step of the same pass, the product service has just answered for it and its expiry is the proof; a
      // state read back later (a retry, a resumed saga, the way back from await_payment) asks the product service
      // again, which costs a call but answers for a reservation the sweeper or a restored database may have ended,
      // and for one already committed: a successful charge proceeds to the commit without a stored move, so a
      // process that died after the commit resumes the saga here, whatever time is left on the reservation.
      const stockOf = (saga: SagaState, order: Order, previous: ActiveStep | undefined) =>
        Effect.gen(function*() {
          const expiresAt = saga.reservationExpiresAt === undefined
            ? 0
            : DateTime.toEpochMillis(saga.reservationExpiresAt)
          const nearExpiry = (yield* Clock.currentTimeMillis) >= expiresAt - Duration.toMillis(config.reservationMargin)
          if (previous === "reserve") return nearExpiry ? "ended" as const : "held" as const
          const probed = yield* products.reserve(order.id, stockLines(order)).pipe(
            Effect.map((held) => held.committed ? "committed" as const : "held" as const),
            Effect.catchTag("ReservationGone", () => Effect.succeed("ended" as const))
          )
          return probed === "held" && nearExpiry ? "ended" as const : probed
        })

      const chargeStep = step({
        run: (saga, order, previous) =>
          Effect.gen(function*() {
            const stock = yield* stockOf(saga, order, previous).pipe(Effect.result)
            if (stock._tag === "Failure") return retryOn(stock.failure)
            // An earlier attempt may have sent a charge: settle the payment before the stock goes back.
            if (stock.success === "ended") return settle(expired)
            const payment = yield* payments.charge(chargeOf(order))
            const facts = { paymentId: payment.id }
            const recorded = OrderTransitions.paymentStarted(order, payment.id, yield* DateTime.now)
            // Committed stock means this charge succeeded before (only a successful charge leads to the commit): its
            // replay names the payment, and the commit, a replay as well, confirms the order as it would have.
            if (stock.success === "committed" || (payment.status === "succeeded" && !payment.isPartiallyRefunded)) {
              return proceed("commit", facts, recorded)
            }
            if (payment.status === "failed") {
              return advance("release", { ...facts, failure: declined(payment.failureReason) }, recorded)
            }
            return advance("await_payment", facts, recorded)
          }),
        onError: (error) => {
          switch (error._tag) {
            case "PaymentDeclined": // the processor's definite no: nothing was charged
              return advance("release", { failure: declined(error.reason) })
            case "DeadlineExceeded": // the charge may be running: wait for its outcome
            case "RequestInProgress":
              return advance("await_payment")
            case "ServiceUnavailable":
              return retryOn(error, settle(unavailable(error._tag)))
            default:
              return settle(unavailable(error._tag))
          }
        }
      })

      // An unknown outcome is waited for with backoff and no attempt limit: only the processor knows it.
      const awaitPayment = step({
        run: (saga, order) =>
          Effect.map(payments.findByOrder(order.id), (found) => {
            if (found._tag === "None") return advance("charge") // never received: send it again, same key
            const payment = found.value
            const facts = { paymentId: payment.id }
            if (payment.status === "succeeded" && !payment.isPartiallyRefunded) return advance("commit", facts)
            if (payment.status === "failed") {
              return advance("release", { ...facts, failure: declined(payment.failureReason) })
            }
            if (payment.status === "pending" || payment.status === "pending_unknown") {
              return retry("payment pending")
            }
            return advance("refund", { ...facts, failure: failure("internal", "refunded") })
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
        // Too late to sell: the charge is given back before the order fails.
        onError: (error) => error._tag === "ReservationGone" ? settle(expired) : retryOn(error)
      })

      const refund = step({
        run: (saga, order) =>
          Effect.map(
            payments.cancel({ ...chargeOf(order), reason: saga.failure?.reason ?? "order_failed" }),
            (answer) =>
              answer.settled
                ? advance("release", { refunded: answer.payment.status === "refunded" })
                : retry(`payment ${answer.payment.id} not settled yet (${answer.payment.status})`)
          ),
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

      return CheckoutSaga.of({ reserve, charge: chargeStep, await_payment: awaitPayment, commit, refund, release })
    })
  )
}
