import { AuthenticatedUser, Email, Role, Unauthorized, UserId } from "@shop/domain"
import { traced } from "@shop/service-defaults/TracedFunction"
import { Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as jose from "jose"
import { AuthConfig, type SupportedAlgorithm } from "./AuthConfig.ts"

const decodeEmail = Schema.decodeUnknownOption(Email)
const decodeUserId = Schema.decodeUnknownOption(UserId)
const isRole = Schema.is(Role)
const allowedTypes = new Set(["jwt", "at+jwt", "application/jwt", "application/at+jwt"])

// Verified tokens are remembered until they expire, so a hot client pays the signature check once.
const cacheCapacity = 10_000

interface Verified {
  readonly user: AuthenticatedUser
  readonly expiresAt: number
}

/** Turns a bearer token into the caller, or refuses it with `Unauthorized` (401). */
export class JwtVerifier extends Context.Service<JwtVerifier, {
  readonly verify: (token: string) => Effect.Effect<AuthenticatedUser, Unauthorized>
  /**
   * The caller of a token this verifier has already accepted and that has not expired; undefined for any other
   * token (never checked, refused, expired). Costs a map lookup: for the hot path, which leaves every other token to
   * `verify`.
   */
  readonly alreadyVerified: (token: string) => AuthenticatedUser | undefined
}>()("gateway/JwtVerifier") {
  static readonly layer = Layer.effect(
    JwtVerifier,
    Effect.gen(function*() {
      const config = yield* AuthConfig
      if (config.usesDevelopmentSecret) {
        yield* Effect.logWarning("JWT_SECRET is not set: HS256 tokens are verified with the development secret")
      }
      // AuthConfig refused short and (in production) published secrets before this point.
      const secret = Option.map(config.secret, (key) => new TextEncoder().encode(Redacted.value(key)))
      const jwks = Option.map(config.jwksUrl, (url) => jose.createRemoteJWKSet(new URL(url)))
      const algorithms: Array<string> = [...config.algorithms]
      const options: jose.JWTVerifyOptions = {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        clockTolerance: Math.floor(Duration.toSeconds(config.clockTolerance)),
        requiredClaims: ["exp", "iss", "aud", "sub"]
      }
      const cache = new Map<string, Verified>()

      const keyFor = (alg: SupportedAlgorithm): jose.JWTVerifyGetKey | Uint8Array | undefined =>
        alg === "HS256" ? Option.getOrUndefined(secret) : Option.getOrUndefined(jwks)

      const toUser = (payload: jose.JWTPayload): AuthenticatedUser | undefined => {
        const userId = decodeUserId(payload.sub)
        if (Option.isNone(userId)) return undefined
        const claim = payload[config.rolesClaim]
        const names = typeof claim === "string" ? claim.split(/[\s,]+/) : Array.isArray(claim) ? claim : []
        const roles = names.filter(isRole)
        // An email claim that is not a valid address is ignored: the order then carries none from the token.
        const email = decodeEmail(payload.email)
        return new AuthenticatedUser({
          userId: userId.value,
          roles: roles.length === 0 ? ["customer"] : roles,
          ...(Option.isSome(email) ? { email: email.value } : {})
        })
      }

      const check = async (token: string): Promise<Verified | string> => {
        let header: jose.ProtectedHeaderParameters
        try {
          header = jose.decodeProtectedHeader(token)
        } catch {
          return "malformed token"
        }
        const alg = header.alg
        if (typeof alg !== "string" || !config.algorithms.includes(alg as SupportedAlgorithm)) {
          return "token algorithm not allowed"
        }
        if (header.typ !== undefined && !allowedTypes.has(header.typ.toLowerCase())) return "wrong token type"
        const key = keyFor(alg as SupportedAlgorithm)
        if (key === undefined) return "token algorithm not allowed"
        try {
          const { payload } = typeof key === "function"
            ? await jose.jwtVerify(token, key, options)
            : await jose.jwtVerify(token, key, options)
          const user = toUser(payload)
          if (user === undefined) return "token subject is not a user id"
          return { user, expiresAt: (payload.exp ?? 0) * 1000 }
        } catch (error) {
          return error instanceof jose.errors.JWTExpired ? "token expired" : "invalid token"
        }
      }

      const remember = (token: string, verified: Verified) => {
        if (cache.size >= cacheCapacity) {
          const oldest = cache.keys().next()
          if (oldest.done !== true) cache.delete(oldest.value)
        }
        cache.set(token, verified)
      }

      const alreadyVerified = (token: string) => {
        const cached = cache.get(token)
        return cached !== undefined && cached.expiresAt > Date.now() ? cached.user : undefined
      }

      const verify = traced("JwtVerifier.verify")(function*(token: string) {
        // The size cap comes before any parsing: a huge header must cost nothing.
        if (token.length === 0) return yield* new Unauthorized({ detail: "missing bearer token" })
        if (token.length > config.maxTokenBytes) return yield* new Unauthorized({ detail: "token too large" })
        const known = alreadyVerified(token)
        if (known !== undefined) return known
        const result = yield* Effect.promise(() => check(token))
        if (typeof result === "string") return yield* new Unauthorized({ detail: result })
        remember(token, result)
        return result.user
      })

      return JwtVerifier.of({ verify, alreadyVerified })
    })
  )
}
