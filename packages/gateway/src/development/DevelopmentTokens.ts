import { type DemoPersona, type DemoPersonaJson, type Role, UserId } from "@shop/domain"
import { Effect, Option, Redacted } from "effect"
import * as jose from "jose"
import type { AuthConfig } from "../auth/AuthConfig.ts"

/** The demo users a development gateway signs in with one click. */
export const demoPersonas: Record<DemoPersona, DemoPersonaJson> = {
  customer: { persona: "customer", user_id: UserId.make("demo_customer"), roles: ["customer"], label: "Demo customer" },
  admin: { persona: "admin", user_id: UserId.make("demo_admin"), roles: ["admin"], label: "Demo admin" }
}

/** What a development token says: its subject, roles and lifetime (`1h`, `15m`, as `jose` reads them). */
export interface DevelopmentClaims {
  readonly sub: string
  readonly roles: ReadonlyArray<Role | string>
  readonly expiresIn: string
}

/**
 * Signs a development token: HS256 with the gateway's own secret, issuer, audience and roles claim, so the gateway
 * verifies it like any other. `npm run token` and the development sign-in both use this one issuer. Fails when the
 * gateway does not accept HS256 (it verifies tokens of an identity provider instead).
 */
export const signDevelopmentToken = (config: AuthConfig["Service"], claims: DevelopmentClaims) =>
  Effect.gen(function*() {
    if (Option.isNone(config.secret)) {
      return yield* Effect.fail("HS256 is not in JWT_ALGORITHMS: tokens come from the identity provider" as const)
    }
    const secret = config.secret.value
    const token = new jose.SignJWT({ [config.rolesClaim]: [...claims.roles] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(claims.sub)
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt()
      .setExpirationTime(claims.expiresIn)
    return yield* Effect.promise(() => token.sign(new TextEncoder().encode(Redacted.value(secret))))
  })
