import type { ProductId } from "@shop/domain"
import type { ChaosPlan, PlannedOrder } from "./ChaosPlan.ts"
import type { Shop } from "./Shop.ts"

/** What became of one planned order's placement: the order id the gateway answered, if any. */
export interface Placement {
  readonly planned: PlannedOrder
  /** Wall-clock time of the first attempt. */
  readonly startedAt: number
  readonly orderId: string | undefined
  readonly attempts: number
  /** The last answer that was not an order (status and body, or the network error). */
  readonly lastRefusal: string | undefined
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Statuses a client should retry with the same idempotency key: overload, unavailable, deadline, internal. */
const retryable = (status: number) => status === 429 || status >= 500

/**
 * Places one order the way a careful client does: the same request, with the same idempotency key, again and
 * again while the platform answers with an error that may be transient (a 5xx while order or product restarts, a
 * lost connection), for at most `patienceMs`. Any repeat returns the order of the first attempt that got through.
 */
const placeOne = async (
  shop: Shop,
  planned: PlannedOrder,
  productIds: ReadonlyArray<ProductId>,
  patienceMs: number
): Promise<Placement> => {
  const startedAt = Date.now()
  const request = {
    user_id: planned.userId,
    items: planned.lines.map((line) => ({ product_id: productIds[line.product]!, quantity: line.quantity })),
    shipping_address: { street: "1 Chaos Way", city: "San Francisco", state: "CA", zip: "94102" },
    payment_method: planned.paymentMethod,
    idempotency_key: planned.idempotencyKey
  }
  let attempts = 0
  let lastRefusal: string | undefined
  let backoff = 250
  while (Date.now() - startedAt < patienceMs) {
    attempts++
    try {
      const { answer, placed } = await shop.placeOrder(planned.userId, request)
      if (placed !== undefined) return { planned, startedAt, orderId: placed.order_id, attempts, lastRefusal }
      lastRefusal = `HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`
      if (!retryable(answer.status)) break
    } catch (error) {
      lastRefusal = String(error)
    }
    await sleep(backoff)
    backoff = Math.min(5_000, backoff * 2)
  }
  return { planned, startedAt, orderId: undefined, attempts, lastRefusal }
}

/** Places every order of the plan at its planned time after `origin`; resolves once every placement has ended. */
export const runWorkload = (
  shop: Shop,
  plan: ChaosPlan,
  productIds: ReadonlyArray<ProductId>,
  origin: number,
  patienceMs: number
): Promise<Array<Placement>> =>
  Promise.all(plan.orders.map(async (planned) => {
    await sleep(Math.max(0, origin + planned.atMs - Date.now()))
    return placeOne(shop, planned, productIds, patienceMs)
  }))
