import { type EdgeRequest, headerOf } from "./EdgeRequest.ts"

/** The header that carries a request's id, in both directions. */
export const RequestIdHeader = "x-request-id"

/** What the gateway accepts as a client's own request id: short, printable, safe in logs and headers. */
const wellFormed = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The id of a request: the client's `X-Request-Id` when it sent a well-formed one (so a client can correlate with its
 * own logs), else a fresh UUID. Anything else a client sends there (too long, spaces, control characters) is
 * replaced, never echoed.
 */
export const requestIdOf = (request: Pick<EdgeRequest, "headers">): string => {
  const given = headerOf(request, RequestIdHeader)
  return given !== undefined && wellFormed.test(given) ? given : crypto.randomUUID()
}
