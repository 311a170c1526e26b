import { Option } from "effect"
import type { HttpServerRequest } from "effect/http"

/**
 * The address a request comes from. Behind a trusted proxy it is the last `X-Forwarded-For` entry, the one the
 * proxy itself appended; earlier entries are whatever the client chose to send.
 */
export const clientAddress = (request: HttpServerRequest.HttpServerRequest, trustProxy: boolean): string => {
  if (trustProxy) {
    const forwarded = request.headers["x-forwarded-for"]
    const last = forwarded?.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "").at(-1)
    if (last !== undefined) return last
  }
  return Option.getOrElse(request.remoteAddress, () => "unknown")
}
