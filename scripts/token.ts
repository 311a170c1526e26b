/**
 * `npm run -s token -- --sub user_123 --role admin [--role customer] [--expires 1h]`: prints a development bearer
 * token and nothing else. It is signed HS256 with JWT_SECRET (or the development secret) for JWT_ISSUER and
 * JWT_AUDIENCE, read with the gateway's own configuration (the issuer of the storefront's development sign-in too);
 * production tokens come from the identity provider.
 */
import { AuthConfig } from "@shop/gateway/auth/AuthConfig"
import { signDevelopmentToken } from "@shop/gateway/development/DevelopmentTokens"
import { Effect } from "effect"
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
  const roles = values.role.length === 0 ? ["customer"] : values.role
  return yield* signDevelopmentToken(config, { sub: values.sub, roles, expiresIn: values.expires })
}).pipe(Effect.provide(AuthConfig.layer))

Effect.runPromiseExit(program).then((exit) => {
  if (exit._tag === "Success") {
    process.stdout.write(`${exit.value}\n`)
  } else {
    process.stderr.write(`token: ${String(exit.cause)}\n`)
    process.exitCode = 1
  }
})
