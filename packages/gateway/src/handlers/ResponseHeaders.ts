import { Effect } from "effect"
import { HttpEffect, HttpServerRequest, HttpServerResponse } from "effect/http"
import { nextLink } from "../edge/NextLink.ts"
import { publicUrl } from "../edge/PublicUrl.ts"
import { GatewayConfig } from "../GatewayConfig.ts"

/** Sets `headers` on the response of the current request (a handler returns its body; this adds the rest). */
export const setResponseHeaders = (headers: Record<string, string>) =>
  HttpEffect.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeaders(response, headers))
  )

/** The absolute URL of `pathAndQuery` for this request (`PUBLIC_BASE_URL`, else the request's origin). */
export const absoluteUrl = (pathAndQuery: string) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const config = yield* GatewayConfig
    return publicUrl(request, config, pathAndQuery)
  })

/** `Location` of a created resource: where a client GETs it. */
export const setLocation = (path: string) =>
  Effect.flatMap(absoluteUrl(path), (location) => setResponseHeaders({ location }))

/**
 * The RFC 8288 `Link: <...>; rel="next"` of a list answer that has a next page: the request's own URL with the
 * next page's `cursor` (and no `page`, which a cursor overrides) or the next `page` number, so every filter and the
 * page size carry over. Nothing on the last page.
 */
export const linkNextPage = (next: { readonly cursor: string } | { readonly page: number } | undefined) =>
  Effect.gen(function*() {
    if (next === undefined) return
    const request = yield* HttpServerRequest.HttpServerRequest
    const url = new URL(request.url, "http://request.invalid")
    if ("cursor" in next) {
      url.searchParams.delete("page")
      url.searchParams.set("cursor", next.cursor)
    } else {
      url.searchParams.set("page", String(next.page))
    }
    const target = yield* absoluteUrl(url.pathname + url.search)
    yield* setResponseHeaders({ link: nextLink(target) })
  })
