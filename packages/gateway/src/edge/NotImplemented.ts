import { Schema } from "effect"

/**
 * A backend answered UNIMPLEMENTED: the method exists in the contract but its service does not serve it yet.
 * Raised as a defect by the clients (no endpoint declares it) and answered 501 by the edge middleware.
 */
export class NotImplemented extends Schema.TaggedError<NotImplemented>()("NotImplemented", {
  service: Schema.String,
  method: Schema.String
}) {
  override get message() {
    return `${this.service} does not implement ${this.method} yet`
  }
}
