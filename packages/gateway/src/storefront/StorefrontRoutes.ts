import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { problemBody, statusProblem } from "../edge/Problems.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { type StorefrontAsset, StorefrontAssets } from "./StorefrontAssets.ts"

/**
 * The storefront's pages. Each answers with `index.html` and the page is drawn in the browser, so a deep link or a
 * reload works; the list mirrors the storefront's router (`packages/storefront/src/Routes.ts`). Any other path
 * stays a 404 problem. (`/admin/*` also routes `/admin` itself.)
 */
export const storefrontPages = [
  "/",
  "/search",
  "/products/:id",
  "/cart",
  "/checkout",
  "/signin",
  "/orders",
  "/orders/:id",
  "/orders/:id/mail",
  "/admin/*"
] as const

// Same origin only; no inline script or style, no framing, no plugins. The API is on this origin too.
const securityHeaders = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

const respond = (asset: StorefrontAsset, request: HttpServerRequest.HttpServerRequest) => {
  const headers: Record<string, string> = {
    etag: asset.etag,
    vary: "accept-encoding",
    "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    ...(asset.contentType.startsWith("text/html") ? securityHeaders : { "x-content-type-options": "nosniff" })
  }
  if (request.headers["if-none-match"] === asset.etag) {
    return HttpServerResponse.empty({ status: 304, headers })
  }
  const accepted = request.headers["accept-encoding"] ?? ""
  const [body, encoding] = asset.brotli !== undefined && /\bbr\b/.test(accepted)
    ? [asset.brotli, "br"]
    : asset.gzip !== undefined && /\bgzip\b/.test(accepted)
    ? [asset.gzip, "gzip"]
    : [asset.body, undefined]
  return HttpServerResponse.uint8Array(body, {
    contentType: asset.contentType,
    headers: encoding === undefined ? headers : { ...headers, "content-encoding": encoding }
  })
}

const notBuilt = problemBody(
  statusProblem(503, "the storefront is not built: run `npm run build:storefront` (npm start does it)")
)

/**
 * The storefront and the operator console at `/` and `/admin`, on the gateway's own origin so that the browser calls
 * the API with no CORS: the pages, and the bundle's files under `/assets/`.
 */
export const StorefrontRoutes = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const assets = yield* StorefrontAssets
  const label = (route: string) =>
    Effect.gen(function*() {
      ;(yield* RequestRoute).route = route
    })

  for (const page of storefrontPages) {
    yield* router.add(
      "GET",
      page,
      Effect.gen(function*() {
        yield* label(page)
        const request = yield* HttpServerRequest.HttpServerRequest
        return assets.index === undefined ? notBuilt : respond(assets.index, request)
      })
    )
  }
  yield* router.add(
    "GET",
    "/assets/*",
    Effect.gen(function*() {
      yield* label("/assets/*")
      const request = yield* HttpServerRequest.HttpServerRequest
      const path = new URL(request.url, "http://gateway").pathname
      const asset = assets.get(path)
      return asset === undefined ? problemBody(statusProblem(404, `no asset ${path}`)) : respond(asset, request)
    })
  )
  yield* router.add(
    "GET",
    "/favicon.svg",
    Effect.gen(function*() {
      yield* label("/favicon.svg")
      const asset = assets.get("/favicon.svg")
      return asset === undefined
        ? problemBody(statusProblem(404))
        : respond(asset, yield* HttpServerRequest.HttpServerRequest)
    })
  )
})).pipe(Layer.provide(StorefrontAssets.layer))
