import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { Config, Effect, Option } from "effect"

/**
 * `PUBLIC_BASE_URL`: the URL clients reach the gateway at (`https://api.shop.example`), named as the server of the
 * OpenAPI document it serves. Unset, the document keeps the contract's servers: `/` (this gateway) and localhost.
 * Anything but an absolute http(s) URL without query or fragment is refused at start-up.
 */
export const PublicBaseUrl = Effect.gen(function*() {
  const text = yield* Config.String("PUBLIC_BASE_URL").pipe(Config.option)
  if (Option.isNone(text) || text.value.trim() === "") return undefined
  const refuse = (detail: string) => new UnsafeSetting({ setting: "PUBLIC_BASE_URL", detail })
  if (!URL.canParse(text.value)) return yield* refuse(`is not a URL: ${text.value}`)
  const url = new URL(text.value)
  if (url.protocol !== "https:" && url.protocol !== "http:") return yield* refuse("must be an http(s) URL")
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return yield* refuse("must not carry credentials, a query or a fragment")
  }
  // Servers are joined with paths that start with "/": no trailing slash.
  return url.href.replace(/\/+$/, "")
})
