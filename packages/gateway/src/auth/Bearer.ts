import { type EdgeRequest, headerOf } from "../edge/EdgeRequest.ts"

/** The token of an `Authorization: Bearer <token>` header; undefined when there is none. */
export const bearerToken = (request: Pick<EdgeRequest, "headers">): string | undefined => {
  const value = headerOf(request, "authorization")
  if (value === undefined) return undefined
  const match = /^Bearer[ \t]+(.*)$/i.exec(value)
  return match === null ? undefined : match[1]!.trim()
}
