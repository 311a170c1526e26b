import { findProblemType, ShopApi } from "@shop/domain"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiScalar, OpenApi } from "effect/http-api"
import { problemBody, statusProblem } from "../edge/Problems.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { problemIndexPage, problemPage } from "./ProblemPages.ts"
import { PublicBaseUrl } from "./PublicBaseUrl.ts"

// The problem pages have no script and no style at all.
const pageHeaders = {
  "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "public, max-age=300"
}

const html = (body: string) =>
  HttpServerResponse.text(body, { contentType: "text/html; charset=utf-8", headers: pageHeaders })

/**
 * The API's documentation on the gateway: the OpenAPI document (`/openapi.json`), its reference page (`/docs`) and
 * the pages the problem `type` URIs resolve to (`/problems`, `/problems/<slug>`). With `PUBLIC_BASE_URL` set, the
 * document names that URL as its only server; unset, it keeps the contract's (`/` and localhost).
 */
export const ApiDocs = Layer.unwrap(Effect.gen(function*() {
  const publicBaseUrl = yield* PublicBaseUrl
  const api = publicBaseUrl === undefined
    ? ShopApi
    : ShopApi.annotateMerge(OpenApi.annotations({
      servers: [{ url: publicBaseUrl, description: "This deployment" }]
    }))
  const document = HttpServerResponse.jsonUnsafe(OpenApi.fromApi(api))
  const label = (route: string) =>
    Effect.gen(function*() {
      ;(yield* RequestRoute).route = route
    })
  const routes = HttpRouter.use(Effect.fnUntraced(function*(router) {
    yield* router.add("GET", "/openapi.json", Effect.as(label("/openapi.json"), document))
    yield* router.add("GET", "/problems", Effect.as(label("/problems"), html(problemIndexPage())))
    yield* router.add(
      "GET",
      "/problems/:type",
      Effect.gen(function*() {
        yield* label("/problems/:type")
        const { type } = yield* HttpRouter.params
        const problem = type === undefined ? undefined : findProblemType(type)
        return problem === undefined
          ? problemBody(statusProblem(404, `no problem type ${type ?? ""}`))
          : html(problemPage(problem))
      })
    )
  }))
  return Layer.mergeAll(routes, HttpApiScalar.layer(api, { path: "/docs" }))
}))
