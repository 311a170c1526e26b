import * as grpc from "@grpc/grpc-js"
import { Config, Context, Duration, Effect, Layer } from "effect"
import { isProduction } from "../DeploymentEnvironment.ts"
import { Topology } from "../Topology.ts"
import { UnsafeSetting } from "../UnsafeSetting.ts"
import { type CallerPolicy, ShopCallerPolicy } from "./CallerPolicy.ts"
import { openKeyRing, ServiceKeyError } from "./ServiceKeys.ts"
import { issuerOf, mintToken, verifyToken } from "./ServiceTokens.ts"

/**
 * Who a service is to its peers. Every gRPC call a client makes carries a short-lived token signed with this
 * service's key and addressed to the callee (`authorization: Bearer <token>`); every server verifies it and checks
 * the caller against its CallerPolicy before the handler runs. Why tokens and not mTLS, and what a call costs, is
 * in the README (Security).
 *
 * Tokens are minted once per audience and reused until half their lifetime is gone; a verified token is remembered
 * until it expires, so the per-call cost is a map lookup on each side (bench/service-auth.ts measures it).
 */
export class ServiceIdentity extends Context.Service<ServiceIdentity, {
  readonly name: string
  /** Loads this service's key (in development, creates it); fails when it cannot sign. Run it at start-up. */
  readonly ready: Effect.Effect<void, UnsafeSetting>
  /** The `authorization` metadata value for a call to `audience`. */
  readonly credentialsFor: (audience: string) => string
  /** The verified caller of a call addressed to this service, or why its token is refused. */
  readonly verify: (authorization: string | undefined) => { readonly caller: string } | { readonly refused: string }
}>()("service-defaults/grpc/ServiceIdentity") {
  /** `name` with its keys in `SERVICE_KEYS_DIR` (default `.data/service-keys`), tokens living `SERVICE_TOKEN_TTL`. */
  static readonly layer = (name: string) =>
    Layer.effect(
      ServiceIdentity,
      Effect.gen(function*() {
        return make({
          name,
          dir: yield* Config.String("SERVICE_KEYS_DIR").pipe(Config.withDefault(".data/service-keys")),
          production: yield* isProduction,
          ttl: yield* Config.Duration("SERVICE_TOKEN_TTL").pipe(Config.withDefault(Duration.minutes(5)))
        })
      })
    )

  /** For tests: `name` with its keys in `dir`, development rules. */
  static readonly layerWith = (options: { readonly name: string; readonly dir: string }) =>
    Layer.sync(ServiceIdentity, () => make({ ...options, production: false, ttl: Duration.minutes(5) }))
}

/** The clock skew tolerated between services, and the longest token lifetime accepted. */
const skewSeconds = 30
const maxLifetimeSeconds = 15 * 60
const verifiedCapacity = 4_096
// Only the platform's services hold keys: a token naming anything else is refused without touching the disk.
const knownServices: ReadonlySet<string> = new Set(Object.keys(Topology))

const make = (options: {
  readonly name: string
  readonly dir: string
  readonly production: boolean
  readonly ttl: Duration.Input
}): ServiceIdentity["Service"] => {
  const ring = openKeyRing({ dir: options.dir, self: options.name, production: options.production })
  const ttlSeconds = Math.max(10, Math.min(maxLifetimeSeconds, Math.round(Duration.toSeconds(options.ttl))))
  const minted = new Map<string, { readonly value: string; readonly renewAt: number }>()
  const verified = new Map<string, { readonly caller: string; readonly expiresAt: number }>()

  const credentialsFor = (audience: string) => {
    const now = Date.now()
    const cached = minted.get(audience)
    if (cached !== undefined && cached.renewAt > now) return cached.value
    const iat = Math.floor(now / 1000)
    const token = mintToken({ iss: options.name, aud: audience, iat, exp: iat + ttlSeconds }, ring.privateKey())
    const value = `Bearer ${token}`
    minted.set(audience, { value, renewAt: now + (ttlSeconds * 1000) / 2 })
    return value
  }

  const check = (token: string, refresh: boolean) => {
    const kid = issuerOf(token)
    if (kid === undefined) return "malformed token" as const
    if (!knownServices.has(kid)) return "unknown issuer" as const
    return verifyToken(token, {
      audience: options.name,
      publicKeys: ring.publicKeys(kid, { refresh }),
      now: Math.floor(Date.now() / 1000),
      skew: skewSeconds,
      maxLifetime: maxLifetimeSeconds
    })
  }

  const verify = (authorization: string | undefined) => {
    if (authorization === undefined || !authorization.startsWith("Bearer ")) {
      return { refused: "a service token is required" }
    }
    const token = authorization.slice(7)
    const now = Date.now()
    const known = verified.get(token)
    if (known !== undefined && known.expiresAt > now) return { caller: known.caller }
    let result = check(token, false)
    // A peer that appeared or rotated its key since its public keys were read: read them again (rate-limited).
    if (result === "unknown issuer" || result === "bad signature") result = check(token, true)
    if (typeof result === "string") return { refused: `service token refused: ${result}` }
    if (verified.size >= verifiedCapacity) verified.delete(verified.keys().next().value!)
    verified.set(token, { caller: result.iss, expiresAt: Math.min(result.exp * 1000, now + ttlSeconds * 1000) })
    return { caller: result.iss }
  }

  const ready = Effect.try({
    try: () => void ring.privateKey(),
    catch: (error) =>
      new UnsafeSetting({
        setting: "SERVICE_KEYS_DIR",
        detail: error instanceof ServiceKeyError ? error.message : `cannot load the service key: ${String(error)}`
      })
  })

  return ServiceIdentity.of({ name: options.name, ready, credentialsFor, verify })
}

/** The verified service that made the call being served; undefined on a server without authentication. */
export const VerifiedCaller = Context.Reference<string | undefined>("service-defaults/grpc/VerifiedCaller", {
  defaultValue: () => undefined
})

/** What the server decides about one call before its handler runs. */
export type CallVerdict =
  | { readonly caller: string }
  | { readonly code: grpc.status; readonly details: string }

/** Authenticates and authorizes one call from its metadata and method path (`/pkg.Service/Method`). */
export type CallAuthenticator = (metadata: grpc.Metadata, path: string) => CallVerdict

/** The server side of `identity`: a valid token from a caller that `policy` allows for the method. */
export const authenticator = (
  identity: ServiceIdentity["Service"],
  policy: CallerPolicy = ShopCallerPolicy
): CallAuthenticator =>
(metadata, path) => {
  const value = metadata.get("authorization")[0]
  const result = identity.verify(typeof value === "string" ? value : undefined)
  if ("refused" in result) return { code: grpc.status.UNAUTHENTICATED, details: result.refused }
  const method = path.startsWith("/") ? path.slice(1) : path
  if (policy[method]?.includes(result.caller) !== true) {
    return { code: grpc.status.PERMISSION_DENIED, details: `${result.caller} may not call ${method}` }
  }
  return result
}
