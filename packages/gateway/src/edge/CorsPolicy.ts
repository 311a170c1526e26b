import { isProduction } from "@shop/service-defaults/DeploymentEnvironment"
import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { Config, Effect } from "effect"

/**
 * Which browser origins may call the API from another origin (`CORS_ALLOWED_ORIGINS`): none by default (only pages
 * of the gateway's own origin, such as the storefront), a comma-separated list of origins
 * (`https://shop.example,https://admin.example`), or `*` for any origin, which production refuses: a wildcard lets
 * every site on the web drive a signed-in customer's browser against the API with whatever token it can get.
 */
export type CorsPolicy =
  | { readonly _tag: "SameOrigin" }
  | { readonly _tag: "AnyOrigin" }
  | { readonly _tag: "Origins"; readonly origins: ReadonlySet<string> }

/** `scheme://host[:port]` exactly as a browser sends it in `Origin` (no path, no trailing slash). */
const originPattern = /^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/

/** Parses the setting; a string is why it is refused. */
export const parseCorsOrigins = (text: string): CorsPolicy | string => {
  const entries = text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  if (entries.length === 0) return { _tag: "SameOrigin" }
  if (entries.includes("*")) return entries.length === 1 ? { _tag: "AnyOrigin" } : "mixes * with origins"
  const invalid = entries.find((entry) => !originPattern.test(entry))
  if (invalid !== undefined) return `has ${JSON.stringify(invalid)}, not an origin like https://shop.example`
  return { _tag: "Origins", origins: new Set(entries.map((entry) => entry.toLowerCase())) }
}

/** `CORS_ALLOWED_ORIGINS`, checked at start-up; `*` is refused when `SHOP_ENV=production`. */
export const corsPolicyFromConfig = Effect.gen(function*() {
  const text = yield* Config.String("CORS_ALLOWED_ORIGINS").pipe(Config.withDefault(""))
  const policy = parseCorsOrigins(text)
  if (typeof policy === "string") return yield* new UnsafeSetting({ setting: "CORS_ALLOWED_ORIGINS", detail: policy })
  if (policy._tag === "AnyOrigin" && (yield* isProduction)) {
    return yield* new UnsafeSetting({
      setting: "CORS_ALLOWED_ORIGINS",
      detail: "is * (any origin), which production refuses (SHOP_ENV=production): list the origins of your sites"
    })
  }
  return policy
})

/** Whether `origin` may call the API from a browser page of another origin. */
export const allowsOrigin = (policy: CorsPolicy, origin: string): boolean => {
  switch (policy._tag) {
    case "SameOrigin":
      return false
    case "AnyOrigin":
      return true
    case "Origins":
      return policy.origins.has(origin.toLowerCase())
  }
}
