import { Option } from "effect"
import type { IncomingMessage } from "node:http"

/**
 * What the edge's rules (request id, CORS, security headers, the client's address, the bearer token) read of a
 * request. The framework's `HttpServerRequest` is one; Node's own request, adapted by `fromNodeRequest`, is another,
 * so that the hot path (HotPath.ts) applies the very same rules without building the framework's request.
 */
export interface EdgeRequest {
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly remoteAddress: Option.Option<string>
  /** The underlying Node request (its socket tells whether the connection is TLS). */
  readonly source: unknown
}

/** A header's value; Node gives a list only for headers that may repeat (`set-cookie`), never read here. */
export const headerOf = (request: Pick<EdgeRequest, "headers">, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : undefined
}

/** Node's request as the edge reads it. */
export const fromNodeRequest = (request: IncomingMessage): EdgeRequest => ({
  headers: request.headers,
  remoteAddress: Option.fromNullishOr(request.socket.remoteAddress),
  source: request
})
