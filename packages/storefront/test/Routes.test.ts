import { assert, describe, it } from "@effect/vitest"
import { storefrontPages } from "../../gateway/src/storefront/StorefrontRoutes.ts"
import { ApiProblem } from "../src/api/ApiProblem.ts"
import { matchPage, pages } from "../src/state/Routes.ts"

describe("storefront routes", () => {
  it("are exactly the pages the gateway answers with index.html, so every deep link loads", () => {
    assert.sameMembers([...storefrontPages], Object.values(pages))
  })

  it("match paths to pages with their parameters", () => {
    assert.deepStrictEqual(matchPage("/"), { page: "home", params: {} })
    assert.deepStrictEqual(matchPage("/products/prod_1abc"), { page: "product", params: { id: "prod_1abc" } })
    assert.deepStrictEqual(matchPage("/orders/ord_9/mail"), { page: "mail", params: { id: "ord_9" } })
    assert.deepStrictEqual(matchPage("/orders/"), { page: "orders", params: {} })
    assert.deepStrictEqual(matchPage("/admin"), { page: "admin", params: { "*": "" } })
    assert.deepStrictEqual(matchPage("/admin/products"), { page: "admin", params: { "*": "products" } })
    assert.strictEqual(matchPage("/products"), undefined)
    assert.strictEqual(matchPage("/orders/ord_9/other"), undefined)
  })
})

describe("ApiProblem", () => {
  it("keeps the problem's text and fields, and knows a refused token", () => {
    const problem = new ApiProblem({
      status: 400,
      tag: "BadRequestProblem",
      detail: "Bad Request",
      issues: [{ path: ["shipping_address", "zip"], message: "Expected a postal code such as 94102" }]
    })
    assert.strictEqual(problem.message, "Bad Request")
    assert.deepStrictEqual(problem.issues[0]?.path, ["shipping_address", "zip"])
    assert.isFalse(problem.unauthorized)
    assert.isTrue(new ApiProblem({ status: 401, tag: "Unauthorized", detail: "expired" }).unauthorized)
  })
})
