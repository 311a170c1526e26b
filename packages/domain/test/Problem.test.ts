import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  Conflict,
  DeadlineExceeded,
  type DomainError,
  Forbidden,
  IdempotencyKeyReused,
  InsufficientStock,
  InternalError,
  NotFound,
  PaymentDeclined,
  RequestInProgress,
  ServiceUnavailable,
  Unauthorized,
  ValidationError
} from "../src/Errors.ts"
import { DomainProblems, Problem, problemType, toProblem } from "../src/Problem.ts"

const errors: ReadonlyArray<DomainError> = [
  new NotFound({ entity: "Product", id: "prod_1" }),
  new ValidationError({ detail: "too long", field: "name" }),
  new ValidationError({ detail: "bad" }),
  new Conflict({ detail: "duplicate sku" }),
  new InsufficientStock({ productId: "prod_1", requested: 3, available: 1 }),
  new PaymentDeclined({ reason: "insufficient funds" }),
  new IdempotencyKeyReused({ key: "k1" }),
  new RequestInProgress({ key: "k1" }),
  new ServiceUnavailable({ service: "payment", detail: "circuit open" }),
  new DeadlineExceeded({ service: "product" }),
  new Unauthorized({ detail: "missing token" }),
  new Forbidden({ detail: "admin only" }),
  new InternalError({ detail: "boom" })
]

describe("Problem", () => {
  it("renders every domain error as an RFC 9457 problem and decodes it back", () => {
    for (const error of errors) {
      const { _tag: tag } = error
      const schema = DomainProblems[tag] as unknown as Schema.Codec<DomainError, Problem>
      const problem = Schema.encodeSync(schema)(error)
      assert.strictEqual(problem.type, problemType(tag))
      assert.strictEqual(problem.detail, "detail" in error ? error.detail : error.message)
      assert.isTrue(Schema.is(Problem)(problem))
      assert.deepStrictEqual(Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(problem))), error)
    }
  })

  it("uses snake_case extension members and the error's status", () => {
    assert.deepStrictEqual(toProblem(new InsufficientStock({ productId: "prod_1", requested: 3, available: 1 })), {
      type: "/problems/insufficient-stock",
      title: "Insufficient Stock",
      status: 409,
      detail: "product prod_1: requested 3, available 1",
      product_id: "prod_1",
      requested: 3,
      available: 1
    })
    assert.deepStrictEqual(toProblem(new NotFound({ entity: "Order", id: "ord_1" }), "/api/v1/orders/ord_1"), {
      type: "/problems/not-found",
      title: "Not Found",
      status: 404,
      detail: "Order ord_1 was not found",
      entity: "Order",
      id: "ord_1",
      instance: "/api/v1/orders/ord_1"
    })
  })

  it("refuses a body of another problem type", () => {
    const conflict = toProblem(new Conflict({ detail: "x" }))
    assert.throws(() => Schema.decodeUnknownSync(DomainProblems.RequestInProgress)(conflict))
  })

  it("decodes any problem, keeping extensions and validation details", () => {
    const body = {
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: "Request validation failed",
      errors: [{ path: ["payload", "items", 0, "quantity"], message: "Expected a value between 1 and 1000" }],
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736"
    }
    assert.deepStrictEqual(Schema.decodeUnknownSync(Problem)(body), body)
    assert.throws(() => Schema.decodeUnknownSync(Problem)({ ...body, status: 200 }))
  })
})
