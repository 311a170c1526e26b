import { type KeyObject, sign, verify } from "node:crypto"

/**
 * Short-lived service tokens: a compact JWS (RFC 7515) signed with the calling service's Ed25519 key, naming the
 * caller (`iss`) and the one service it is meant for (`aud`), valid for a few minutes.
 *
 * Written against `node:crypto` rather than a JWT library: the format is fixed (one algorithm, one header, four
 * claims), so a strict parser that accepts exactly that is shorter to audit than a general one is to configure, and
 * signing stays synchronous on the call path. Anything that is not byte for byte the expected header is refused,
 * so there is no algorithm to confuse.
 */

/** The claims of a service token; times in seconds since the epoch, as in JWT. */
export interface ServiceClaims {
  readonly iss: string
  readonly aud: string
  readonly iat: number
  readonly exp: number
}

const headerOf = (issuer: string) => ({ alg: "EdDSA", typ: "JWT", kid: issuer })
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const serviceName = /^[a-z][a-z0-9-]{0,62}$/

/** Signs a token for `claims` with the issuer's private key. */
export const mintToken = (claims: ServiceClaims, privateKey: KeyObject): string => {
  const input = `${encode(headerOf(claims.iss))}.${encode(claims)}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString("base64url")}`
}

/** Why a token was refused: shown to the caller in the UNAUTHENTICATED status, so it names no key material. */
export type TokenProblem =
  | "malformed token"
  | "unknown issuer"
  | "bad signature"
  | "wrong audience"
  | "expired"
  | "not yet valid"
  | "lifetime too long"

/** A token's issuer as its header names it, before any check: which public key to verify it with. */
export const issuerOf = (token: string): string | undefined => {
  const dot = token.indexOf(".")
  if (dot <= 0 || dot > 256) return undefined
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), "base64url").toString("utf8")) as unknown
    const kid = (header as { kid?: unknown } | null)?.kid
    if (typeof kid !== "string" || !serviceName.test(kid)) return undefined
    return token.slice(0, dot) === encode(headerOf(kid)) ? kid : undefined
  } catch {
    return undefined
  }
}

const isClaims = (value: unknown): value is ServiceClaims => {
  if (typeof value !== "object" || value === null) return false
  const { aud, exp, iat, iss } = value as Record<string, unknown>
  return typeof iss === "string" && typeof aud === "string" && Number.isSafeInteger(iat) &&
    Number.isSafeInteger(exp)
}

/**
 * Checks a token meant for `audience` against the issuer's public keys (more than one while a key is rotated).
 * `now` and `skew` are in seconds; a token may live at most `maxLifetime` seconds.
 */
export const verifyToken = (
  token: string,
  options: {
    readonly audience: string
    readonly publicKeys: ReadonlyArray<KeyObject>
    readonly now: number
    readonly skew: number
    readonly maxLifetime: number
  }
): ServiceClaims | TokenProblem => {
  const issuer = issuerOf(token)
  const parts = token.split(".")
  if (issuer === undefined || parts.length !== 3 || token.length > 2048) return "malformed token"
  if (options.publicKeys.length === 0) return "unknown issuer"
  const signature = Buffer.from(parts[2]!, "base64url")
  const input = Buffer.from(`${parts[0]}.${parts[1]}`)
  if (!options.publicKeys.some((key) => verify(null, input, key, signature))) return "bad signature"
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"))
  } catch {
    return "malformed token"
  }
  if (!isClaims(claims) || claims.iss !== issuer) return "malformed token"
  if (claims.aud !== options.audience) return "wrong audience"
  if (claims.exp <= options.now - options.skew) return "expired"
  if (claims.iat > options.now + options.skew) return "not yet valid"
  if (claims.exp - claims.iat > options.maxLifetime) return "lifetime too long"
  return claims
}
