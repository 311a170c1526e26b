import type { Headers } from "effect/http"

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export const bearerToken = (headers: Headers.Headers): string | undefined => {
  const value = headers.authorization
  if (value === undefined) return undefined
  const match = /^Bearer[ \t]+(.*)$/i.exec(value)
  return match === null ? undefined : match[1]!.trim()
}
