import { Context, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity, OpenApi } from "effect/http-api"
import { Email } from "../Contact.ts"
import { UserId } from "../Ids.ts"
import { RateLimitedProblem, UnauthorizedProblem } from "../Problem.ts"

/** What a user may do beyond their own orders: `admin` manages the catalog. */
export const Role = Schema.Literals(["customer", "admin"]).annotate({ identifier: "Role" })
export type Role = typeof Role.Type

/** The caller of a request, as established from its bearer token. */
export class AuthenticatedUser extends Schema.Class<AuthenticatedUser>("AuthenticatedUser")({
  userId: UserId,
  roles: Schema.Array(Role),
  /** The token's `email` claim, when it has a valid one. */
  email: Schema.optionalKey(Email)
}) {
  /** Whether the user holds `role`. */
  has(role: Role): boolean {
    return this.roles.includes(role)
  }
}

/** The authenticated caller of the current request; provided by the {@link Authorization} middleware. */
export class CurrentUser extends Context.Service<CurrentUser, AuthenticatedUser>()("domain/CurrentUser") {}

/**
 * Bearer-token authentication (a JWT in `Authorization: Bearer <token>`). On the server it verifies the token and
 * provides {@link CurrentUser}, or fails with `Unauthorized` (401). Generated clients must provide a client
 * implementation, which attaches the token (see `Sdk.ts`). Endpoints that anonymous callers may use do not carry it.
 */
export class Authorization extends HttpApiMiddleware.Service<Authorization, {
  provides: CurrentUser
  requires: never
}>()("domain/Authorization", {
  requiredForClient: true,
  security: {
    bearer: HttpApiSecurity.bearer.pipe(
      HttpApiSecurity.annotate(OpenApi.Format, "JWT"),
      HttpApiSecurity.annotate(OpenApi.Description, "A JWT whose `sub` is the user id and `roles` its roles")
    )
  },
  error: UnauthorizedProblem
}) {}

/**
 * Per-client rate limiting of every endpoint; the gateway implements it and answers `RateLimited` (429) when a
 * client exceeds its quota.
 */
export class RateLimit extends HttpApiMiddleware.Service<RateLimit>()("domain/RateLimit", {
  error: RateLimitedProblem
}) {}
