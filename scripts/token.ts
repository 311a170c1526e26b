/**
 * `npm run -s token -- --sub user_123 --role admin [--role customer] [--expires 1h]`: prints a development bearer
 * token and nothing else. It is signed HS256 with JWT_SECRET (or the development secret) for JWT_ISSUER and
 * JWT_AUDIENCE, read with the gateway's own configuration; production tokens come from the identity provider.
 */
import { AuthConfig } from "@shop/gateway/auth/AuthConfig"
import { Effect, Redacted } from "effect"
import * as jose from "jose"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    sub: { type: "string" },
    role: { type: "string", multiple: true, default: [] },
    expires: { type: "string", default: "1h" }
  }
})

const program = Effect.gen(function*() {
  const config = yield* AuthConfig
  if (values.sub === undefined) return yield* Effect.fail("--sub <user id> is required")
  if (!config.algorithms.includes("HS256")) return yield* Effect.fail("HS256 is not in JWT_ALGORITHMS")
  const rolesClaim = config.rolesClaim
  const roles = values.role.length === 0 ? ["customer"] : values.role
  return yield* Effect.promise(() =>
    new jose.SignJWT({ [rolesClaim]: roles })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(values.sub!)
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt()
      .setExpirationTime(values.expires)
      .sign(new TextEncoder().encode(Redacted.value(config.secret)))
  )
}).pipe(Effect.provide(AuthConfig.layer))

Effect.runPromiseExit(program).then((exit) => {
  if (exit._tag === "Success") {
    process.stdout.write(`${exit.value}\n`)
  } else {
    process.stderr.write(`token: ${String(exit.cause)}\n`)
    process.exitCode = 1
  }
})
