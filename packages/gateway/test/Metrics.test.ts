import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { Backends } from "./fixtures/Backends.ts"
import { startGateway } from "./fixtures/TestGateway.ts"

describe("gateway metrics", () => {
  it.live("count requests by method, route template and status, never by raw URL", () =>
    Effect.gen(function*() {
      const backends = yield* Backends
      const baseUrl = yield* startGateway({ PRODUCT_GRPC_ADDR: backends.address, ORDER_GRPC_ADDR: backends.address })
      for (const path of ["/api/v1/products/prod_metric1", "/api/v1/products/prod_metric2", "/no/such/route"]) {
        yield* Effect.promise(() => fetch(`${baseUrl}${path}`).then((response) => response.arrayBuffer()))
      }
      const snapshot = yield* Metric.snapshot
      const series = snapshot.filter((metric) => metric.id === "http_requests_total")
      const labels = series.map((metric) => metric.attributes ?? {})
      const byId = series.find((metric) =>
        metric.attributes?.["route"] === "/api/v1/products/:id" && metric.attributes["status"] === "404"
      )
      assert.isDefined(byId)
      assert.isAtLeast((byId!.state as { count: number }).count, 2)
      assert.isTrue(labels.some((attributes) => attributes["route"] === "unmatched"))
      assert.isFalse(labels.some((attributes) => Object.values(attributes).some((value) => value.includes("prod_"))))
      assert.isTrue(snapshot.some((metric) => metric.id === "http_request_duration_seconds"))
    }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Backends.layer))))
})
