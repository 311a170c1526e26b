import type { DeadlineExceeded, DomainError, ServiceUnavailable } from "./Errors.ts"
import { DomainProblems } from "./Problem.ts"

/**
 * The errors each operation of the platform can really fail with, by tag: one list per operation, read by every
 * layer it crosses. The service that implements the operation is typed against it, the gRPC client adapters let
 * exactly these through (anything else a peer answers is a bug, a defect), and the REST contract documents the
 * problems of the same list. Every remote call may also fail with {@link Unreachable}.
 */
export const OperationErrors = {
  // Orders
  placeOrder: ["ValidationError", "IdempotencyKeyReused", "RequestInProgress"],
  getOrder: ["NotFound"],
  listOrders: ["ValidationError"],
  // Catalog
  getProduct: ["NotFound"],
  listProducts: ["ValidationError"],
  searchProducts: ["ValidationError"],
  createProduct: ["ValidationError", "Conflict"],
  updateProduct: ["NotFound", "ValidationError", "Conflict"],
  // Stock, as the order saga uses it: a reservation already released, expired or held with other items is a
  // Conflict, and committing one that was never made is NotFound (the product service's contract).
  reserveStock: ["InsufficientStock", "Conflict", "NotFound"],
  commitStock: ["Conflict", "NotFound"],
  releaseStock: ["Conflict"],
  // Payments
  chargePayment: ["PaymentDeclined", "IdempotencyKeyReused", "RequestInProgress", "Conflict"],
  refundPayment: ["NotFound", "Conflict", "IdempotencyKeyReused", "RequestInProgress"],
  getPayment: ["NotFound"],
  cancelPayment: [],
  // Operations of the operator console: reading fails only when a peer is unreachable; a retry names a saga, refund
  // or dead letter that may not exist (NotFound) or be in no state to retry (Conflict).
  listAllOrders: ["ValidationError"],
  listSagas: [],
  retrySaga: ["NotFound", "Conflict"],
  outboxBacklog: [],
  listBreakers: [],
  listParkedRefunds: [],
  retryRefund: ["NotFound", "Conflict"],
  listDeadLetters: [],
  redriveDeadLetter: ["NotFound", "Conflict"],
  consumerLag: []
} as const satisfies Record<string, ReadonlyArray<DomainError["_tag"]>>

/** The name of an operation of the platform. */
export type Operation = keyof typeof OperationErrors

/** The tags an operation fails with. */
export type OperationErrorTag<Op extends Operation> = (typeof OperationErrors)[Op][number]

/** The errors of a list of tags. */
export type ErrorOf<Tag extends DomainError["_tag"]> = Extract<DomainError, { readonly _tag: Tag }>

/** The errors an operation fails with. */
export type OperationError<Op extends Operation> = ErrorOf<OperationErrorTag<Op>>

/** What a remote call may fail with besides its operation's errors: the peer is down, broken or too slow. */
export type Unreachable = ServiceUnavailable | DeadlineExceeded

/** The tags of {@link Unreachable}. */
export const UnreachableTags = ["ServiceUnavailable", "DeadlineExceeded"] as const

type ProblemsOf<Tags extends ReadonlyArray<DomainError["_tag"]>> = {
  readonly [K in keyof Tags]: (typeof DomainProblems)[Tags[K]]
}

/** The problem schemas of an operation's errors, in the order of its list, for an endpoint's `error` option. */
export const problemsOf = <Op extends Operation>(operation: Op): ProblemsOf<(typeof OperationErrors)[Op]> =>
  // `map` over a tuple loses its positions in TypeScript; the result has exactly the mapped type.
  OperationErrors[operation].map((tag) => DomainProblems[tag]) as unknown as ProblemsOf<(typeof OperationErrors)[Op]>
