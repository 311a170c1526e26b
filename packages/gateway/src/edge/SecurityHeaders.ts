import type { BlockList } from "node:net"
import { isIP } from "node:net"
import { type EdgeRequest, headerOf } from "./EdgeRequest.ts"

const hsts = "max-age=31536000; includeSubDomains"

/** Whether the client's request reached us over TLS: on our own socket, or as a trusted proxy says. */
export const overTls = (request: EdgeRequest, proxies: BlockList | undefined): boolean => {
  const socket = (request.source as { socket?: { encrypted?: boolean } }).socket
  if (socket?.encrypted === true) return true
  if (proxies === undefined) return false
  const peer = request.remoteAddress._tag === "Some" ? request.remoteAddress.value.replace(/^::ffff:/, "") : ""
  const family = isIP(peer)
  if (family === 0 || !proxies.check(peer, family === 4 ? "ipv4" : "ipv6")) return false
  // the proto the nearest proxy saw (the last value when several proxies appended theirs)
  return headerOf(request, "x-forwarded-proto")?.split(",").at(-1)?.trim().toLowerCase() === "https"
}

/**
 * Headers every answer of the gateway carries: `X-Content-Type-Options: nosniff` (a JSON or problem body is never
 * run as something else), `Cache-Control: no-store` on orders (personal data stays out of shared caches and
 * browser history), and `Strict-Transport-Security` when the request came over TLS.
 */
export const securityHeaders = (
  request: EdgeRequest,
  route: string,
  proxies: BlockList | undefined
): Record<string, string> => {
  const headers: Record<string, string> = { "x-content-type-options": "nosniff" }
  if (route.startsWith("/api/v1/orders")) headers["cache-control"] = "no-store"
  if (overTls(request, proxies)) headers["strict-transport-security"] = hsts
  return headers
}
