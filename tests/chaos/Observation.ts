import type { OrderJson, ProductId } from "@shop/domain"
import type { ChaosPlan } from "./ChaosPlan.ts"
import type { ProcessorLedger } from "./Processor.ts"
import type { MailSummary, Shop } from "./Shop.ts"

/** One product's stock as the checker started it and as the product service shows it now. */
export interface StockReading {
  readonly productId: ProductId
  readonly sku: string
  readonly initial: number
  readonly inventory: number
  readonly reserved: number
}

/** Everything the checker looks at, read from outside: the shop's API, the processor's ledger, the mailbox. */
export interface Observation {
  /** Every order of every user of the run, as that user lists them. */
  readonly ordersByUser: ReadonlyMap<string, ReadonlyArray<OrderJson>>
  readonly ledger: ProcessorLedger
  readonly stock: ReadonlyArray<StockReading>
  readonly mails: ReadonlyArray<MailSummary>
}

/** Runs `task` over `items` with at most `limit` at a time. */
const mapLimited = async <A, B>(items: ReadonlyArray<A>, limit: number, task: (item: A) => Promise<B>) => {
  const results: Array<B> = Array.from({ length: items.length })
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await task(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** Reads the whole state once; fails if any source does not answer (the caller tries again). */
export const observe = async (
  shop: Shop,
  ledger: () => Promise<ProcessorLedger>,
  plan: ChaosPlan,
  productIds: ReadonlyArray<ProductId>
): Promise<Observation> => {
  const users = plan.orders.map((order) => order.userId)
  const lists = await mapLimited(users, 8, (user) => shop.ordersOf(user))
  const products = await mapLimited(productIds, 4, (id) => shop.product(id))
  return {
    ordersByUser: new Map(users.map((user, i) => [user, lists[i]!])),
    ledger: await ledger(),
    stock: products.map((product, i) => ({
      productId: product.id,
      sku: product.sku,
      initial: plan.products[i]!.inventory,
      inventory: product.inventory,
      reserved: product.reserved
    })),
    mails: await shop.mailbox()
  }
}
