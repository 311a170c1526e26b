import { isProduction } from "@shop/service-defaults/DeploymentEnvironment"
import { UnsafeSetting } from "@shop/service-defaults/UnsafeSetting"
import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { DevelopmentSecret, MinimumSecretBytes, productionSecretProblem } from "./SigningSecretPolicy.ts"

export { DevelopmentSecret } from "./SigningSecretPolicy.ts"

/** The signing algorithms the gateway can verify; anything else (`none` above all) is refused. */
export const SupportedAlgorithms = ["HS256", "RS256", "ES256"] as const
export type SupportedAlgorithm = (typeof SupportedAlgorithms)[number]

/** How bearer tokens are verified and who may read the catalog. */
export class AuthConfig extends Context.Service<AuthConfig, {
  /** The HS256 key; none when HS256 is not among `algorithms`. */
  readonly secret: Option.Option<Redacted.Redacted<string>>
  readonly usesDevelopmentSecret: boolean
  readonly jwksUrl: Option.Option<string>
  readonly algorithms: ReadonlyArray<SupportedAlgorithm>
  readonly issuer: string
  readonly audience: string
  readonly clockTolerance: Duration.Duration
  readonly rolesClaim: string
  readonly maxTokenBytes: number
  readonly catalogPublic: boolean
}>()("gateway/AuthConfig") {
  static readonly layer = Layer.effect(
    AuthConfig,
    Effect.gen(function*() {
      const production = yield* isProduction
      const configured = yield* Config.Redacted("JWT_SECRET").pipe(Config.option)
      const jwksUrl = yield* Config.String("JWT_JWKS_URL").pipe(Config.option)
      const defaultAlgorithms: ReadonlyArray<SupportedAlgorithm> = Option.isSome(jwksUrl)
        ? ["RS256", "ES256"]
        : ["HS256"]
      const algorithms = yield* Config.Array(Schema.Literals(SupportedAlgorithms), "JWT_ALGORITHMS").pipe(
        Config.withDefault(defaultAlgorithms)
      )
      const secret = yield* signingSecret({ production, configured, jwksUrl, hs256: algorithms.includes("HS256") })
      return AuthConfig.of({
        secret,
        usesDevelopmentSecret: Option.isSome(secret) && Option.isNone(configured),
        jwksUrl,
        algorithms,
        issuer: yield* Config.String("JWT_ISSUER").pipe(Config.withDefault("shop-mesh")),
        audience: yield* Config.String("JWT_AUDIENCE").pipe(Config.withDefault("shop-mesh-api")),
        clockTolerance: yield* Config.Duration("JWT_CLOCK_TOLERANCE").pipe(Config.withDefault(Duration.seconds(30))),
        rolesClaim: yield* Config.String("JWT_ROLES_CLAIM").pipe(Config.withDefault("roles")),
        maxTokenBytes: yield* Config.Int("JWT_MAX_BYTES").pipe(Config.withDefault(8 * 1024)),
        catalogPublic: yield* Config.Boolean("CATALOG_PUBLIC").pipe(Config.withDefault(true))
      })
    })
  )
}

/**
 * The HS256 key, or why the gateway must not start:
 * - HS256 allowed with a JWKS configured needs its own JWT_SECRET (a real identity provider is in use, so falling
 *   back to the development secret would be a hole), in every environment;
 * - production needs JWT_SECRET or JWT_JWKS_URL, and refuses a published, short or placeholder secret;
 * - every environment refuses a secret under 32 bytes.
 */
const signingSecret = (options: {
  readonly production: boolean
  readonly configured: Option.Option<Redacted.Redacted<string>>
  readonly jwksUrl: Option.Option<string>
  readonly hs256: boolean
}): Effect.Effect<Option.Option<Redacted.Redacted<string>>, UnsafeSetting> => {
  const { configured, hs256, jwksUrl, production } = options
  const refuse = (detail: string) => Effect.fail(new UnsafeSetting({ setting: "JWT_SECRET", detail }))
  if (Option.isNone(configured)) {
    if (production && Option.isNone(jwksUrl)) {
      return refuse("is required in production (SHOP_ENV=production), or JWT_JWKS_URL for an identity provider")
    }
    if (hs256 && Option.isSome(jwksUrl)) {
      return refuse("is required when JWT_ALGORITHMS allows HS256 next to JWT_JWKS_URL")
    }
    if (hs256 && production) return refuse("is required in production when JWT_ALGORITHMS allows HS256")
    return Effect.succeed(hs256 ? Option.some(Redacted.make(DevelopmentSecret)) : Option.none())
  }
  const value = Redacted.value(configured.value)
  if (production) {
    const problem = productionSecretProblem(value)
    if (problem !== undefined) return refuse(`${problem} (SHOP_ENV=production)`)
  }
  if (new TextEncoder().encode(value).length < MinimumSecretBytes) {
    return refuse(`must be at least ${MinimumSecretBytes} bytes`)
  }
  return Effect.succeed(hs256 ? configured : Option.none())
}
