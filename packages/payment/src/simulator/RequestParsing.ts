import { Effect, Schema, SchemaIssue } from "effect"
import { HttpServerRequest } from "effect/http"
import { type ApiError, invalidRequest } from "./ApiError.ts"

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1()

/** Turns a schema failure into Stripe's wording: missing, unknown or invalid parameter, naming the parameter. */
const toApiError = (error: Schema.SchemaError): ApiError => {
  const issue = formatIssue(error.issue).issues[0]
  const param = issue?.path?.map(String).join(".") ?? ""
  const message = issue?.message ?? error.message
  if (param === "") return invalidRequest(`Invalid request body: ${message}`)
  if (message === "Missing key") {
    return invalidRequest(`Missing required param: ${param}.`, { code: "parameter_missing", param })
  }
  if (message === "Expected no excess property") {
    return invalidRequest(`Received unknown parameter: ${param}`, { code: "parameter_unknown", param })
  }
  return invalidRequest(`Invalid ${param}: ${message}`, { param })
}

/** Decodes `input` with `schema`; unknown parameters are rejected like Stripe does, so client typos surface. */
export const decode = <S extends Schema.Decoder<unknown>>(schema: S) => {
  const decodeUnknown = Schema.decodeUnknownEffect(schema)
  return (input: unknown): Effect.Effect<S["Type"], ApiError> =>
    decodeUnknown(input, { onExcessProperty: "error" }).pipe(Effect.mapError(toApiError))
}

/** The request body as parsed JSON. */
export const jsonBody: Effect.Effect<unknown, ApiError, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) => Effect.mapError(request.json, () => invalidRequest("The request body is not valid JSON."))
)

/** The `Idempotency-Key` header, required on every POST that moves money. */
export const idempotencyKey: Effect.Effect<string, ApiError, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) => {
    const key = request.headers["idempotency-key"]
    if (key === undefined || key === "") {
      return Effect.fail(invalidRequest("This request requires an Idempotency-Key header.", {
        code: "idempotency_key_missing"
      }))
    }
    if (key.length > 255) {
      return Effect.fail(invalidRequest("Idempotency-Key must be at most 255 characters.", {
        code: "idempotency_key_invalid"
      }))
    }
    return Effect.succeed(key)
  }
)
