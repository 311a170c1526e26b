import { Authorization, CurrentUser } from "@shop/domain"
import { Effect, Layer, Redacted } from "effect"
import { JwtVerifier } from "./JwtVerifier.ts"

/** The contract's `Authorization` middleware: a verified bearer token becomes the `CurrentUser`. */
export const AuthorizationLive = Layer.effect(
  Authorization,
  Effect.gen(function*() {
    const verifier = yield* JwtVerifier
    return Authorization.of({
      bearer: (httpEffect, { credential }) =>
        Effect.flatMap(
          verifier.verify(Redacted.value(credential)),
          (user) => Effect.provideService(httpEffect, CurrentUser, user)
        )
    })
  })
)
