import { Schema } from "effect"

/**
 * Answers of a peer that no caller can act on, raised as defects by the gRPC client: they mean a bug or a version
 * skew between services, so they are logged with their details and answered as a generic failure at the edge.
 */

/**
 * A peer answered UNIMPLEMENTED: the method exists in the contract but the service does not serve it yet (the
 * gateway answers 501).
 */
export class NotImplemented extends Schema.TaggedError<NotImplemented>()("NotImplemented", {
  service: Schema.String,
  method: Schema.String
}) {
  override get message() {
    return `${this.service} does not implement ${this.method} yet`
  }
}

/**
 * A peer failed with an error its operation does not declare (see `OperationErrors` in `@shop/domain`): either
 * the caller sent a request the peer refused although the caller validated it, or the peer broke its contract.
 */
export class UnexpectedPeerError extends Schema.TaggedError<UnexpectedPeerError>()("UnexpectedPeerError", {
  service: Schema.String,
  method: Schema.String,
  error: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `${this.service} answered ${this.method} with an undeclared ${this.error}: ${this.detail}`
  }
}
