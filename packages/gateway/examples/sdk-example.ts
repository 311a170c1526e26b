/**
 * The typed SDK in a few lines: create a product (admin token), then find it through search.
 *
 *   TOKEN=$(npm run -s token -- --sub user_123 --role admin) node packages/gateway/examples/sdk-example.ts
 *
 * GATEWAY_URL defaults to http://localhost:8080.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cents, ShopClient, Sku } from "@shop/domain"
import { Config, Console, Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"

/** Creates a product with a unique SKU and searches for it by name; returns both answers. */
export const createAndSearch = Effect.gen(function*() {
  const shop = yield* ShopClient
  const sku = Sku.make(`MOUSE-${Date.now()}`)
  const created = yield* shop.products.create({
    payload: {
      name: "Wireless Mouse",
      description: "Ergonomic wireless mouse with 3200 DPI",
      price: Cents.make(2999), // amounts are cents in code, decimals (29.99) on the wire
      sku,
      inventory: 100,
      category: "Electronics"
    }
  })
  const found = yield* shop.products.search({ query: { q: "wireless mouse", limit: 10 } })
  return { created, found }
})

const ShopLive = Layer.unwrap(Effect.gen(function*() {
  const baseUrl = yield* Config.String("GATEWAY_URL").pipe(Config.withDefault("http://localhost:8080"))
  const token = yield* Config.String("TOKEN")
  return ShopClient.layer({ baseUrl, token })
}))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  createAndSearch.pipe(
    Effect.tap(({ created, found }) =>
      Console.log(`created ${created.id} (${created.sku}); search found ${found.total}, cache_hit=${found.cache_hit}`)
    ),
    Effect.provide(ShopLive),
    NodeRuntime.runMain
  )
}
