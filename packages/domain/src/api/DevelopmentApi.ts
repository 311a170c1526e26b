import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { OrderId, UserId } from "../Ids.ts"
import { NotFoundProblem, ServiceUnavailableProblem } from "../Problem.ts"
import { Timestamp } from "../Timestamp.ts"
import { Authorization, Role } from "./Authorization.ts"
import { RequestValidation } from "./RequestValidation.ts"

/** The demo users of a development gateway: one customer and one admin. */
export const DemoPersona = Schema.Literals(["customer", "admin"]).annotate({ identifier: "DemoPersona" })
export type DemoPersona = typeof DemoPersona.Type

/** A demo user the storefront offers as one-click sign-in. */
export const DemoPersonaJson = Schema.Struct({
  persona: DemoPersona,
  user_id: UserId,
  roles: Schema.Array(Role),
  label: Schema.String
}).annotate({ identifier: "DemoPersonaJson" })
export type DemoPersonaJson = typeof DemoPersonaJson.Type

/** A bearer token for a demo user, signed by the gateway's development issuer (the same as `npm run token`). */
export const DemoSession = Schema.Struct({
  token: Schema.String,
  user_id: UserId,
  roles: Schema.Array(Role),
  expires_at: Timestamp
}).annotate({ identifier: "DemoSession" })
export type DemoSession = typeof DemoSession.Type

/** A mail the embedded mode's local mailbox received, as text. */
export const LocalMail = Schema.Struct({
  id: Schema.String,
  subject: Schema.String,
  from: Schema.String,
  to: Schema.Array(Schema.String),
  received_at: Schema.String,
  text: Schema.String
}).annotate({ identifier: "LocalMail" })
export type LocalMail = typeof LocalMail.Type

/** Development conveniences of the gateway: demo sign-in and the local mailbox. */
export class DevelopmentGroup extends HttpApiGroup.make("development")
  .add(
    HttpApiEndpoint.get("personas", "/dev/personas", {
      success: Schema.Struct({ personas: Schema.Array(DemoPersonaJson) })
    }),
    HttpApiEndpoint.post("signIn", "/dev/sign-in", {
      payload: Schema.Struct({ persona: DemoPersona }),
      success: DemoSession
    }),
    HttpApiEndpoint.get("mail", "/dev/mail", {
      query: { order_id: OrderId },
      success: Schema.Struct({ mails: Schema.Array(LocalMail) }),
      error: [NotFoundProblem, ServiceUnavailableProblem]
    }).middleware(Authorization)
  )
{}

/**
 * The gateway's development-only API, apart from {@link ShopApi} so that it is never in the public contract or its
 * OpenAPI document. It exists only while `SHOP_ENV` is `development`: a production gateway answers 404 on every
 * `/dev/` path.
 *
 * - `GET /dev/personas`: the demo users; a storefront that gets a 404 here is facing a production gateway.
 * - `POST /dev/sign-in {"persona":"customer"}`: a one-hour token for that demo user.
 * - `GET /dev/mail?order_id=`: the mails of the local mailbox (embedded mode) about one of the caller's orders.
 */
export class DevelopmentApi extends HttpApi.make("DevelopmentApi")
  .add(DevelopmentGroup)
  .middleware(RequestValidation)
  .annotate(HttpApi.PayloadParseOptions, { onExcessProperty: "error", errors: "all" })
  .annotateMerge(OpenApi.annotations({ title: "Shop Mesh development API", version: "1.0.0" }))
{}
