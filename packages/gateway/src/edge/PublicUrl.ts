import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { Config, Effect, Option } from "effect"
import type { BlockList } from "node:net"
import { type EdgeRequest, headerOf } from "./EdgeRequest.ts"
import { overTls } from "./SecurityHeaders.ts"

/**
 * `PUBLIC_BASE_URL`: the scheme and authority clients reach the API at (`https://api.shop.example`), used for the
 * absolute URLs the gateway writes (`Link`, `Location`). Unset: they are made from the request's `Host` and how it
 * arrived (TLS, or a trusted proxy's `X-Forwarded-Proto`). Set it in production, where the Host a client sends
 * should not decide the links others follow.
 */
export const publicBaseUrlFromConfig = Effect.gen(function*() {
  const text = yield* Config.String("PUBLIC_BASE_URL").pipe(Config.option)
  if (Option.isNone(text) || text.value.trim() === "") return undefined
  const url = URL.parse(text.value.trim())
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "" || url.hash !== "") {
    return yield* new UnsafeSetting({
      setting: "PUBLIC_BASE_URL",
      detail: `is ${JSON.stringify(text.value)}, not an http(s) URL such as https://api.shop.example`
    })
  }
  return url.href.replace(/\/+$/, "")
})

/** A Host header that is a host name or address with an optional port, nothing else. */
const hostPattern = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * The absolute URL of `pathAndQuery` (which starts with `/`) as the client should follow it: under
 * `PUBLIC_BASE_URL` when set, else under the request's own origin; the bare path when the Host header is missing
 * or malformed.
 */
export const publicUrl = (
  request: EdgeRequest,
  settings: { readonly publicBaseUrl: string | undefined; readonly trustedProxies: BlockList | undefined },
  pathAndQuery: string
): string => {
  if (settings.publicBaseUrl !== undefined) return settings.publicBaseUrl + pathAndQuery
  const host = headerOf(request, "host")
  if (host === undefined || !hostPattern.test(host)) return pathAndQuery
  return `${overTls(request, settings.trustedProxies) ? "https" : "http"}://${host}${pathAndQuery}`
}
