import { Config, Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"

/** The signing algorithms the gateway can verify; anything else (`none` above all) is refused. */
export const SupportedAlgorithms = ["HS256", "RS256", "ES256"] as const
export type SupportedAlgorithm = (typeof SupportedAlgorithms)[number]

/** Development only: every production deployment sets JWT_SECRET or JWT_JWKS_URL. */
export const DevelopmentSecret = "shop-mesh-development-secret-do-not-use-in-production"

/** How bearer tokens are verified and who may read the catalog. */
export class AuthConfig extends Context.Service<AuthConfig, {
  readonly secret: Redacted.Redacted<string>
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
      const secret = yield* Config.Redacted("JWT_SECRET").pipe(Config.option)
      const jwksUrl = yield* Config.String("JWT_JWKS_URL").pipe(Config.option)
      const defaultAlgorithms: ReadonlyArray<SupportedAlgorithm> = Option.isSome(jwksUrl)
        ? ["RS256", "ES256"]
        : ["HS256"]
      const algorithms = yield* Config.Array(Schema.Literals(SupportedAlgorithms), "JWT_ALGORITHMS").pipe(
        Config.withDefault(defaultAlgorithms)
      )
      return AuthConfig.of({
        secret: Option.getOrElse(secret, () => Redacted.make(DevelopmentSecret)),
        usesDevelopmentSecret: Option.isNone(secret),
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
