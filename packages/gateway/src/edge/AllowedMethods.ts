import { ShopApi } from "@shop/domain"

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const toPattern = (path: string) =>
  new RegExp(`^${path.split("/").map((segment) => segment.startsWith(":") ? "[^/]+" : escape(segment)).join("/")}/?$`)

// Every route the gateway serves: the contract's endpoints plus the documentation routes.
const routes: ReadonlyArray<{ readonly method: string; readonly pattern: RegExp }> = [
  ...Object.values(ShopApi.groups).flatMap((group) =>
    Object.values(group.endpoints).map((endpoint) => ({ method: endpoint.method, pattern: toPattern(endpoint.path) }))
  ),
  { method: "GET", pattern: toPattern("/openapi.json") },
  { method: "GET", pattern: toPattern("/docs") }
]

/** The methods served on `path`; empty when no route has that path (a 404 rather than a 405). */
export const allowedMethods = (path: string): ReadonlyArray<string> => [
  ...new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))
]
