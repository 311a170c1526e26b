import type { DomainError } from "@shop/domain"
import { Clock, Duration, Effect } from "effect"
import { PaymentClient } from "./clients/PaymentClient.ts"
import { ProductClient } from "./clients/ProductClient.ts"
import { Failpoints } from "./Failpoints.ts"
import { OrderConfig } from "./OrderConfig.ts"
import type { OrderRecord, SagaFailure, SagaState, Transition } from "./SagaState.ts"

/** Errors worth another attempt later: the peer was down, slow, busy, or broke. */
const isTransient = (error: DomainError): boolean =>
  error._tag === "ServiceUnavailable" || error._tag === "DeadlineExceeded" || error._tag === "InternalError" ||
  error._tag === "RequestInProgress"

const retry = (error: DomainError): Transition => ({ _tag: "Retry", error: `${error._tag}: ${error.message}` })

/** After too many attempts at a forward step, the saga compensates instead. */
const retryOr = (state: SagaState, maxAttempts: number, error: DomainError, giveUp: Transition): Transition =>
  state.attempts + 1 >= maxAttempts ? giveUp : retry(error)

const expired: SagaFailure = { reason: "timeout", detail: "reservation_expired" }

/** The idempotency keys of the saga's side effects, derived from the order id so that every retry repeats them. */
export const chargeKey = (orderId: string) => `order-charge-${orderId}`
export const refundKey = (orderId: string) => `order-refund-${orderId}`

/**
 * Runs the step the saga is at and tells what comes next. Steps call peers keyed by the order id, so running a step
 * twice (after a crash between the call and the persisted transition) does the work once.
 */
export const advance = Effect.fn("Saga.advance")(function*(state: SagaState, order: OrderRecord) {
  const products = yield* ProductClient
  const payments = yield* PaymentClient
  const failpoints = yield* Failpoints
  const config = yield* OrderConfig
  yield* Effect.annotateCurrentSpan({ "order.id": state.orderId, "saga.step": state.step })
  const lines = order.items.map((item) => ({ productId: item.productId, quantity: item.quantity }))

  switch (state.step) {
    case "reserve": {
      return yield* products.reserve(state.orderId, lines).pipe(
        Effect.tap(() => failpoints.hit("after_reserve")),
        Effect.map((held): Transition => ({ _tag: "Next", step: "charge", reservationExpiresAt: held.expiresAt })),
        Effect.catch((error): Effect.Effect<Transition> => {
          if (error._tag === "InsufficientStock") {
            const failure = { reason: "insufficient_stock", detail: `insufficient_stock: ${error.productId}` } as const
            return Effect.succeed({ _tag: "Next", step: "release", failure })
          }
          if (error._tag === "Conflict") return Effect.succeed({ _tag: "Next", step: "release", failure: expired })
          if (isTransient(error)) {
            return Effect.succeed(retryOr(state, config.maxAttempts, error, {
              _tag: "Next",
              step: "release",
              failure: { reason: "timeout", detail: "product_unavailable" }
            }))
          }
          return Effect.succeed({ _tag: "Next", step: "release", failure: { reason: "internal", detail: error._tag } })
        })
      )
    }
    case "charge": {
      // No charge without stock: the reservation must still be held, with time left to commit it.
      const now = yield* Clock.currentTimeMillis
      const deadline = (state.reservationExpiresAt?.getTime() ?? 0) - Duration.toMillis(config.reservationMargin)
      if (now >= deadline) return { _tag: "Next", step: "release", failure: expired } satisfies Transition
      const held = yield* Effect.result(products.reserve(state.orderId, lines))
      if (held._tag === "Failure") {
        if (held.failure._tag === "Conflict") {
          return { _tag: "Next", step: "release", failure: expired } satisfies Transition
        }
        return retry(held.failure)
      }
      return yield* payments.charge({
        orderId: state.orderId,
        amountCents: order.totalCents,
        currency: order.currency,
        paymentMethod: order.paymentMethod,
        idempotencyKey: chargeKey(state.orderId)
      }).pipe(
        Effect.flatMap((charge): Effect.Effect<Transition> => {
          switch (charge.status) {
            case "succeeded":
              return failpoints.hit("after_charge").pipe(
                Effect.as<Transition>({ _tag: "Next", step: "commit", paymentId: charge.paymentId })
              )
            case "pending":
              return Effect.succeed({ _tag: "Next", step: "await_payment", paymentId: charge.paymentId })
            default:
              return Effect.succeed({
                _tag: "Next",
                step: "release",
                paymentId: charge.paymentId,
                failure: { reason: "payment_declined", detail: `payment_declined: ${charge.failureReason}` }
              })
          }
        }),
        Effect.catch((error): Effect.Effect<Transition> => {
          if (error._tag === "PaymentDeclined") {
            const failure = { reason: "payment_declined", detail: `payment_declined: ${error.reason}` } as const
            return Effect.succeed({ _tag: "Next", step: "release", failure })
          }
          // Unknown outcome: the refund step looks the payment up by order id and undoes whatever happened.
          const giveUp: Transition = {
            _tag: "Next",
            step: "refund",
            failure: { reason: "payment_unavailable", detail: `payment_unavailable: ${error._tag}` }
          }
          return Effect.succeed(isTransient(error) ? retryOr(state, config.maxAttempts, error, giveUp) : giveUp)
        })
      )
    }
    case "await_payment": {
      // pending_unknown is waited for with backoff and no attempt limit: only the processor knows the outcome.
      return yield* payments.get(state.paymentId ?? "").pipe(
        Effect.map((charge): Transition => {
          switch (charge.status) {
            case "succeeded":
              return { _tag: "Next", step: "commit", paymentId: charge.paymentId }
            case "pending":
              return { _tag: "Retry", error: "payment pending" }
            case "refunded":
              return {
                _tag: "Next",
                step: "release",
                refunded: true,
                failure: { reason: "internal", detail: "refunded" }
              }
            default:
              return {
                _tag: "Next",
                step: "release",
                failure: { reason: "payment_declined", detail: `payment_declined: ${charge.failureReason}` }
              }
          }
        }),
        Effect.catch((error) => Effect.succeed(retry(error)))
      )
    }
    case "commit": {
      return yield* products.commit(state.orderId).pipe(
        Effect.tap(() => failpoints.hit("after_commit")),
        Effect.as<Transition>({ _tag: "Confirmed", paymentId: state.paymentId ?? "" }),
        Effect.catch((error): Effect.Effect<Transition> =>
          error._tag === "Conflict" || error._tag === "NotFound"
            ? Effect.succeed({ _tag: "Next", step: "refund", failure: expired })
            : Effect.succeed(retry(error))
        )
      )
    }
    case "refund": {
      return yield* payments.findByOrder(state.orderId).pipe(
        Effect.flatMap((found): Effect.Effect<Transition, DomainError> => {
          if (found._tag === "None" || found.value.status === "failed") {
            return Effect.succeed({ _tag: "Next", step: "release" })
          }
          const charge = found.value
          if (charge.status === "pending") return Effect.succeed({ _tag: "Retry", error: "payment pending" })
          if (charge.status === "refunded") return Effect.succeed({ _tag: "Next", step: "release", refunded: true })
          return payments.refund(charge.paymentId, refundKey(state.orderId), state.failure?.reason ?? "order_failed")
            .pipe(
              Effect.tap(() => failpoints.hit("after_refund")),
              Effect.as<Transition>({ _tag: "Next", step: "release", refunded: true, paymentId: charge.paymentId })
            )
        }),
        Effect.catch((error) => Effect.succeed(retry(error)))
      )
    }
    case "release": {
      return yield* products.release(state.orderId, state.failure?.reason ?? "order_failed").pipe(
        Effect.tap(() => failpoints.hit("after_release")),
        Effect.as<Transition>({ _tag: "Failed" }),
        Effect.catch((error) => Effect.succeed(retry(error)))
      )
    }
    case "confirmed":
    case "failed":
      return yield* Effect.die(new Error(`saga ${state.sagaId} is already ${state.step}`))
  }
})
