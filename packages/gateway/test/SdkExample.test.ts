import { assert, describe, it } from "@effect/vitest"
import { ShopClient } from "@shop/domain"
import { Effect, Layer } from "effect"
import { createAndSearch } from "../examples/sdk-example.ts"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"
import { sign } from "./fixtures/Tokens.ts"

describe("the SDK example", () => {
  it.live("creates a product and finds it through search", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      const token = yield* Effect.promise(() => sign("user_123", ["admin"]))
      const { created, found } = yield* createAndSearch.pipe(Effect.provide(ShopClient.layer({ baseUrl, token })))
      assert.deepStrictEqual(found.products.map((hit) => hit.id), [created.id])
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})
