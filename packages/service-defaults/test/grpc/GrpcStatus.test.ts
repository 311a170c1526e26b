import { assert, describe, it } from "@effect/vitest"
import * as grpc from "@grpc/grpc-js"
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
} from "@shop/domain"
import { Cause } from "effect"
import type { IncomingHttpHeaders } from "node:http2"
import * as GrpcStatus from "../../src/grpc/GrpcStatus.ts"

const errors: ReadonlyArray<readonly [DomainError, grpc.status]> = [
  [new NotFound({ entity: "product", id: "p-1" }), grpc.status.NOT_FOUND],
  [new ValidationError({ detail: "must be positive", field: "quantity" }), grpc.status.INVALID_ARGUMENT],
  [new ValidationError({ detail: "no field" }), grpc.status.INVALID_ARGUMENT],
  [new Conflict({ detail: "sku taken" }), grpc.status.ALREADY_EXISTS],
  [new InsufficientStock({ productId: "p-1", requested: 3, available: 1 }), grpc.status.FAILED_PRECONDITION],
  [new PaymentDeclined({ reason: "card_declined" }), grpc.status.FAILED_PRECONDITION],
  [new IdempotencyKeyReused({ key: "k-1" }), grpc.status.INVALID_ARGUMENT],
  [new RequestInProgress({ key: "k-1" }), grpc.status.ABORTED],
  [new ServiceUnavailable({ service: "payment", detail: "circuit open" }), grpc.status.UNAVAILABLE],
  [new DeadlineExceeded({ service: "payment" }), grpc.status.DEADLINE_EXCEEDED],
  [new Unauthorized({ detail: "no token" }), grpc.status.UNAUTHENTICATED],
  [new Forbidden({ detail: "admin only" }), grpc.status.PERMISSION_DENIED],
  [new InternalError({ detail: "boom" }), grpc.status.INTERNAL]
]

// What the client receives: the status plus the trailers, after a trip through grpc-js metadata.
const overTheWire = (status: GrpcStatus.StatusResponse) => ({
  code: status.code,
  details: status.details,
  metadata: grpc.Metadata.fromHttp2Headers(status.metadata.toHttp2Headers() as IncomingHttpHeaders)
})

const from = (code: grpc.status, details = "why") => GrpcStatus.toDomainError({ code, details }, "payment")

describe("GrpcStatus", () => {
  for (const [error, code] of errors) {
    it(`${error._tag} -> ${GrpcStatus.codeName(code)} -> the same typed error`, () => {
      const status = GrpcStatus.fromDomainError(error)
      assert.strictEqual(status.code, code)
      assert.strictEqual(status.details, error.message)
      const back = GrpcStatus.toDomainError(overTheWire(status), "peer")
      assert.instanceOf(back, error.constructor as new(...args: never) => unknown)
      assert.deepStrictEqual(back, error)
    })
  }

  it("keeps non-ASCII text intact in an ASCII-only trailer", () => {
    const error = new ValidationError({ detail: "nom refusé ☃ 😀", field: "naïve" })
    const status = GrpcStatus.fromDomainError(error)
    const trailer = status.metadata.get(GrpcStatus.errorMetadataKey)[0]
    assert.isString(trailer)
    assert.match(trailer as string, /^[\x20-\x7e]*$/)
    assert.deepStrictEqual(GrpcStatus.toDomainError(overTheWire(status), "peer"), error)
  })

  it("maps bare status codes when there is no trailer", () => {
    assert.deepStrictEqual(from(grpc.status.UNAVAILABLE), new ServiceUnavailable({ service: "payment", detail: "why" }))
    assert.deepStrictEqual(from(grpc.status.DEADLINE_EXCEEDED), new DeadlineExceeded({ service: "payment" }))
    assert.deepStrictEqual(from(grpc.status.NOT_FOUND), new NotFound({ entity: "payment", id: "why" }))
    assert.deepStrictEqual(from(grpc.status.INVALID_ARGUMENT), new ValidationError({ detail: "why" }))
    assert.deepStrictEqual(from(grpc.status.UNAUTHENTICATED), new Unauthorized({ detail: "why" }))
    assert.deepStrictEqual(from(grpc.status.PERMISSION_DENIED), new Forbidden({ detail: "why" }))
    for (const code of [grpc.status.UNKNOWN, grpc.status.UNIMPLEMENTED, grpc.status.DATA_LOSS, 42 as grpc.status]) {
      assert.strictEqual(from(code)._tag, "InternalError")
    }
    assert.deepStrictEqual(
      from(grpc.status.UNIMPLEMENTED, ""),
      new InternalError({ detail: "payment: UNIMPLEMENTED" })
    )
  })

  it("falls back to the status code when the trailer is not a domain error", () => {
    for (const value of ["not json", "{\"_tag\":\"Nope\"}", "{\"_tag\":\"NotFound\"}"]) {
      const metadata = new grpc.Metadata()
      metadata.set(GrpcStatus.errorMetadataKey, value)
      const error = GrpcStatus.toDomainError({ code: grpc.status.UNAVAILABLE, details: "down", metadata }, "order")
      assert.deepStrictEqual(error, new ServiceUnavailable({ service: "order", detail: "down" }))
    }
  })

  it("turns a defect into INTERNAL with a generic message and no stack", () => {
    const defect = new Error("database password is hunter2")
    const status = GrpcStatus.fromCause(Cause.die(defect))
    assert.strictEqual(status.code, grpc.status.INTERNAL)
    assert.strictEqual(status.details, GrpcStatus.internalErrorMessage)
    assert.deepStrictEqual(status.metadata.getMap(), {})
    assert.deepStrictEqual(
      GrpcStatus.toDomainError(overTheWire(status), "product"),
      new InternalError({ detail: "product: internal error" })
    )
  })

  it("prefers the defect when a cause has both a failure and a defect", () => {
    const cause = Cause.combine(Cause.fail(new Conflict({ detail: "x" })), Cause.die("bug"))
    assert.strictEqual(GrpcStatus.fromCause(cause).code, grpc.status.INTERNAL)
  })

  it("uses the domain error of a failed cause and CANCELLED for an interruption", () => {
    const error = new NotFound({ entity: "order", id: "o-1" })
    assert.strictEqual(GrpcStatus.fromCause(Cause.fail(error)).code, grpc.status.NOT_FOUND)
    assert.strictEqual(GrpcStatus.fromCause(Cause.interrupt()).code, grpc.status.CANCELLED)
  })
})
