import { CurrentUser, DevelopmentApi, NotFound, RequestValidationLive, ServiceUnavailable } from "@shop/domain"
import { isProduction } from "@shop/service-defaults/DeploymentEnvironment"
import { DateTime, Duration, Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AuthConfig } from "../auth/AuthConfig.ts"
import { AuthorizationLive } from "../auth/AuthorizationLive.ts"
import { JwtVerifier } from "../auth/JwtVerifier.ts"
import { OrderClient } from "../clients/OrderClient.ts"
import { RequestRoute } from "../edge/RequestRoute.ts"
import { demoPersonas, signDevelopmentToken } from "./DevelopmentTokens.ts"
import { LocalMailbox } from "./LocalMailbox.ts"

const sessionLifetime = Duration.hours(1)

const label = (route: string) =>
  Effect.gen(function*() {
    ;(yield* RequestRoute).route = route
  })

const DevelopmentHandlers = HttpApiBuilder.group(DevelopmentApi, "development", (handlers) =>
  Effect.gen(function*() {
    const config = yield* AuthConfig
    const orders = yield* OrderClient
    const mailbox = yield* LocalMailbox
    return handlers
      .handle("personas", () => label("/dev/personas").pipe(Effect.as({ personas: Object.values(demoPersonas) })))
      .handle("signIn", ({ payload }) =>
        Effect.gen(function*() {
          yield* label("/dev/sign-in")
          const persona = demoPersonas[payload.persona]
          const token = yield* signDevelopmentToken(config, {
            sub: persona.user_id,
            roles: persona.roles,
            expiresIn: `${Duration.toSeconds(sessionLifetime)}s`
          }).pipe(Effect.orDie)
          const expires_at = DateTime.addDuration(yield* DateTime.now, sessionLifetime)
          return { token, user_id: persona.user_id, roles: persona.roles, expires_at }
        }))
      .handle("mail", ({ query }) =>
        Effect.gen(function*() {
          yield* label("/dev/mail")
          const user = yield* CurrentUser
          // Only the owner of the order may read its mails: another user's order is a 404, as on the REST API.
          const order = yield* orders.get(user.userId, query.order_id).pipe(
            Effect.catch((error): Effect.Effect<never, NotFound | ServiceUnavailable> =>
              error._tag === "NotFound"
                ? Effect.fail(error)
                : Effect.fail(new ServiceUnavailable({ service: "order", detail: "the order service did not answer" }))
            )
          )
          if (order.user_id !== user.userId) return yield* new NotFound({ entity: "Order", id: query.order_id })
          const mails = yield* mailbox.aboutOrder(query.order_id)
          if (mails.length === 0) return yield* new NotFound({ entity: "Mail", id: query.order_id })
          return { mails }
        }))
  }))

/**
 * The development API (`/dev/personas`, `/dev/sign-in`, `/dev/mail`; see `DevelopmentApi`), mounted only when
 * `SHOP_ENV` is `development` and the gateway verifies HS256 tokens. Otherwise it is not routed at all, so every
 * `/dev/` path is a 404 like any unknown path.
 */
export const DevelopmentRoutes = Layer.unwrap(Effect.gen(function*() {
  const config = yield* AuthConfig
  if (yield* isProduction) return Layer.empty
  if (!config.algorithms.includes("HS256")) {
    yield* Effect.logInfo("demo sign-in is off: JWT_ALGORITHMS does not include HS256")
    return Layer.empty
  }
  yield* Effect.logWarning("development API on /dev/ (demo sign-in): SHOP_ENV is development")
  return HttpApiBuilder.layer(DevelopmentApi).pipe(
    Layer.provide(DevelopmentHandlers),
    Layer.provide([
      AuthorizationLive,
      RequestValidationLive,
      OrderClient.layer,
      LocalMailbox.layer
    ]),
    Layer.provide(JwtVerifier.layer)
  )
}))
