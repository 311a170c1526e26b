import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as jose from "jose"
import { createHmac } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { downAddress, startGateway } from "./fixtures/TestGateway.ts"
import { secretKey, sign } from "./fixtures/Tokens.ts"

const b64 = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url")

const now = () => Math.floor(Date.now() / 1000)
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: "user_123",
  iss: "shop-mesh",
  aud: "shop-mesh-api",
  iat: now(),
  exp: now() + 600,
  roles: ["customer"],
  ...extra
})
const without = (key: string) => {
  const rest: Record<string, unknown> = claims()
  delete rest[key]
  return rest
}

const hs = (payload: Record<string, unknown>, header: Record<string, unknown> = {}, key: Uint8Array = secretKey) =>
  new jose.SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT", ...header } as jose.JWTHeaderParameters)
    .sign(key)

// Signed by hand, for headers jose refuses to produce.
const hmacToken = (header: Record<string, unknown>, payload: unknown) => {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac("sha256", secretKey).update(input).digest("base64url")}`
}

const unsigned = (alg: string, signature = "") => `${b64({ alg, typ: "JWT" })}.${b64(claims())}.${signature}`

/** A JWKS endpoint serving the gateway's RS256 public key. */
const serveJwks = (jwks: jose.JSONWebKeySet) =>
  Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>>((resume) => {
      const server = createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(jwks))
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

describe("hostile bearer tokens", () => {
  it.live("every one of them is refused with 401, while valid HS256 and RS256 tokens pass", () =>
    Effect.gen(function*() {
      const rsa = yield* Effect.promise(() => jose.generateKeyPair("RS256", { extractable: true }))
      const otherRsa = yield* Effect.promise(() => jose.generateKeyPair("RS256", { extractable: true }))
      const ec = yield* Effect.promise(() => jose.generateKeyPair("ES256", { extractable: true }))
      const ec384 = yield* Effect.promise(() => jose.generateKeyPair("ES384", { extractable: true }))
      const ps256 = yield* Effect.promise(() => jose.generateKeyPair("PS256", { extractable: true }))
      const rs512 = yield* Effect.promise(() => jose.generateKeyPair("RS512", { extractable: true }))
      const publicJwk = { ...(yield* Effect.promise(() => jose.exportJWK(rsa.publicKey))), kid: "k1", alg: "RS256" }
      const publicPem = yield* Effect.promise(() => jose.exportSPKI(rsa.publicKey))
      const server = yield* serveJwks({ keys: [publicJwk] })
      const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
      const baseUrl = yield* startGateway({
        PRODUCT_GRPC_ADDR: downAddress,
        ORDER_GRPC_ADDR: downAddress,
        JWT_JWKS_URL: jwksUrl,
        JWT_ALGORITHMS: "HS256,RS256",
        RATE_LIMIT_ORDER_READ: "100000/1m"
      })
      const rs = (payload: Record<string, unknown>, alg = "RS256", key: jose.CryptoKey = rsa.privateKey) =>
        Effect.promise(() => new jose.SignJWT(payload).setProtectedHeader({ alg, kid: "k1", typ: "JWT" }).sign(key))
      const tokens: Record<string, string> = {
        "alg none": unsigned("none"),
        "alg None": unsigned("None"),
        "alg NONE": unsigned("NONE"),
        "alg nOnE": unsigned("nOnE"),
        "alg none with a signature": unsigned("none", "c2ln"),
        "no alg": `${b64({ typ: "JWT" })}.${b64(claims())}.`,
        "HS256 signed with the RS public key PEM (key confusion)": yield* Effect.promise(() =>
          hs(claims(), { kid: "k1" }, new TextEncoder().encode(publicPem))
        ),
        "HS256 signed with the RS public JWK (key confusion)": yield* Effect.promise(() =>
          hs(claims(), { kid: "k1" }, new TextEncoder().encode(JSON.stringify(publicJwk)))
        ),
        "expired": yield* Effect.promise(() => hs(claims({ exp: now() - 3600 }))),
        "expired beyond the clock tolerance": yield* Effect.promise(() => hs(claims({ exp: now() - 120 }))),
        "nbf in the future beyond tolerance": yield* Effect.promise(() => hs(claims({ nbf: now() + 600 }))),
        "missing exp": yield* Effect.promise(() => hs(without("exp"))),
        "exp as a string": yield* Effect.promise(() => hs(claims({ exp: String(now() + 600) }))),
        "wrong iss": yield* Effect.promise(() => hs(claims({ iss: "evil" }))),
        "iss with a trailing space": yield* Effect.promise(() => hs(claims({ iss: "shop-mesh " }))),
        "missing iss": yield* Effect.promise(() => hs(without("iss"))),
        "wrong aud": yield* Effect.promise(() => hs(claims({ aud: "another-api" }))),
        "aud list without ours": yield* Effect.promise(() => hs(claims({ aud: ["a", "b"] }))),
        "missing aud": yield* Effect.promise(() => hs(without("aud"))),
        "missing sub": yield* Effect.promise(() => hs(without("sub"))),
        "empty sub": yield* Effect.promise(() => hs(claims({ sub: "" }))),
        "sub with a space": yield* Effect.promise(() => hs(claims({ sub: "user 123" }))),
        "bad signature (another secret)": yield* Effect.promise(() =>
          hs(claims(), {}, new TextEncoder().encode("another-secret-0123456789abcdefgh"))
        ),
        "signature stripped": (yield* Effect.promise(() => hs(claims()))).split(".").slice(0, 2).join(".") + ".",
        "payload swapped after signing": yield* Effect.promise(() =>
          hs(claims()).then((t) => {
            const [h, , s] = t.split(".")
            return `${h}.${b64(claims({ roles: ["admin"], sub: "user_admin" }))}.${s}`
          })
        ),
        "truncated": (yield* Effect.promise(() => hs(claims()))).slice(0, -12),
        "garbage base64": "!!!.@@@.###",
        "garbage JSON header": `${b64("not json")}.${b64(claims())}.c2ln`,
        "garbage JSON payload": yield* Effect.promise(() =>
          hs(claims()).then((t) => `${t.split(".")[0]}.${b64("{oops")}.${t.split(".")[2]}`)
        ),
        "payload is an array": hmacToken({ alg: "HS256", typ: "JWT" }, [1, 2]),
        "payload is a string": hmacToken({ alg: "HS256", typ: "JWT" }, "\"user_123\""),
        "oversized token": yield* Effect.promise(() => hs(claims({ padding: "x".repeat(9 * 1024) }))),
        "wrong typ": yield* Effect.promise(() => hs(claims(), { typ: "refresh+jwt" })),
        "two-part token": (yield* Effect.promise(() => hs(claims()))).split(".").slice(0, 2).join("."),
        "four-part token": `${yield* Effect.promise(() => hs(claims()))}.extra`,
        "five-part (JWE-shaped) token": `${b64({ alg: "dir", enc: "A256GCM" })}.a.b.c.d`,
        "HS512 not allowed": yield* Effect.promise(() =>
          new jose.SignJWT(claims()).setProtectedHeader({ alg: "HS512" }).sign(secretKey)
        ),
        "HS384 not allowed": yield* Effect.promise(() =>
          new jose.SignJWT(claims()).setProtectedHeader({ alg: "HS384" }).sign(secretKey)
        ),
        "PS256 not allowed": yield* rs(claims(), "PS256", ps256.privateKey),
        "RS512 not allowed": yield* rs(claims(), "RS512", rs512.privateKey),
        "ES256 not allowed here": yield* rs(claims(), "ES256", ec.privateKey),
        "ES384 not allowed": yield* rs(claims(), "ES384", ec384.privateKey),
        "RS256 signed by a key outside the JWKS": yield* rs(claims(), "RS256", otherRsa.privateKey),
        "RS256 with an unknown kid": yield* Effect.promise(() =>
          new jose.SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "nope" }).sign(rsa.privateKey)
        ),
        "RS256 with an embedded attacker jwk": yield* Effect.promise(async () =>
          new jose.SignJWT(claims()).setProtectedHeader({
            alg: "RS256",
            jwk: await jose.exportJWK(otherRsa.publicKey)
          }).sign(otherRsa.privateKey)
        ),
        "unknown crit header": hmacToken({ alg: "HS256", typ: "JWT", crit: ["x-custom"], "x-custom": 1 }, claims()),
        "expired RS256": yield* rs(claims({ exp: now() - 3600 })),
        "control characters": "abc\u0001.def.ghi"
      }
      assert.isAtLeast(Object.keys(tokens).length, 40)

      const call = (authorization: string | undefined) =>
        Effect.promise(() =>
          fetch(`${baseUrl}/api/v1/orders`, {
            headers: authorization === undefined ? {} : { authorization }
          }).catch(() => undefined)
        )
      const refused: Array<string> = []
      for (const [name, token] of Object.entries(tokens)) {
        const response = yield* call(`Bearer ${token}`)
        // fetch itself refuses header values with control characters: such a token never reaches anyone.
        if (response === undefined) continue
        if (response.status !== 401 || response.headers.get("content-type") !== "application/problem+json") {
          refused.push(`${name}: ${response.status}`)
        }
      }
      for (const header of [undefined, "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "Token abc"]) {
        const response = yield* call(header)
        if (response?.status !== 401) refused.push(`header ${header}: ${response?.status}`)
      }
      assert.deepStrictEqual(refused, [], "tokens that were not answered 401 problem+json")

      // Controls: the same gateway accepts well-formed tokens, so the 401s above are not a blanket refusal.
      const validHs = yield* call(`Bearer ${yield* Effect.promise(() => sign("user_123", ["customer"]))}`)
      assert.strictEqual(validHs?.status, 503)
      const validRs = yield* call(`Bearer ${yield* rs(claims())}`)
      assert.strictEqual(validRs?.status, 503)
      const withinTolerance = yield* call(`Bearer ${yield* Effect.promise(() => hs(claims({ exp: now() - 5 })))}`)
      assert.strictEqual(withinTolerance?.status, 503)
    }).pipe(Effect.scoped))
})
