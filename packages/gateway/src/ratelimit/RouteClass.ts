import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import type { RouteClass } from "./RateLimitConfig.ts"

/** The budget an endpoint of the contract draws from; undefined for the exempt ones (health). */
export const routeClassOf = (group: HttpApiGroup.Top, endpoint: HttpApiEndpoint.Top): RouteClass | undefined => {
  const read = endpoint.method === "GET" || endpoint.method === "HEAD"
  switch (group.identifier) {
    case "products":
      return read ? "catalog-read" : "admin-write"
    case "orders":
      return read ? "order-read" : "order-write"
    // The operator console: its views read like order pages (a few a minute each), its actions are admin writes.
    case "admin":
      return read ? "order-read" : "admin-write"
    default:
      return undefined
  }
}
