import * as grpc from "@grpc/grpc-js"
import {
  Conflict,
  DeadlineExceeded,
  DomainError,
  Forbidden,
  InternalError,
  NotFound,
  ServiceUnavailable,
  Unauthorized,
  ValidationError
} from "@shop/domain"
import { Cause, Exit, Option, Schema } from "effect"

/** Trailing-metadata key that carries the Schema-encoded domain error as JSON. */
export const errorMetadataKey = "shop-error"

/** The generic message of a defect: its details stay in the logs of the service that had it. */
export const internalErrorMessage = "internal error"

/** A failed call as grpc-js sends it from a handler and as a client receives it (`ServiceError`). */
export interface StatusResponse {
  readonly code: grpc.status
  readonly details: string
  readonly metadata: grpc.Metadata
}

const DomainErrorJson = Schema.fromJsonString(DomainError)
const encodeError = Schema.encodeExit(DomainErrorJson)
const decodeError = Schema.decodeUnknownExit(DomainErrorJson)

/** The gRPC status code of each domain error. */
export const codeOf = (error: DomainError): grpc.status => {
  switch (error._tag) {
    case "NotFound":
      return grpc.status.NOT_FOUND
    case "ValidationError":
    case "IdempotencyKeyReused":
      return grpc.status.INVALID_ARGUMENT
    case "Conflict":
      return grpc.status.ALREADY_EXISTS
    case "InsufficientStock":
    case "PaymentDeclined":
      return grpc.status.FAILED_PRECONDITION
    case "RequestInProgress":
      return grpc.status.ABORTED
    case "ServiceUnavailable":
      return grpc.status.UNAVAILABLE
    case "DeadlineExceeded":
      return grpc.status.DEADLINE_EXCEEDED
    case "Unauthorized":
      return grpc.status.UNAUTHENTICATED
    case "Forbidden":
      return grpc.status.PERMISSION_DENIED
    case "InternalError":
      return grpc.status.INTERNAL
  }
}

/** The name of a status code, as used in metric labels ("OK", "NOT_FOUND", ...). */
export const codeName = (code: grpc.status): string => grpc.status[code] ?? "UNKNOWN"

// Metadata values must be printable ASCII; \u escapes keep the JSON valid and every character intact.
const asciiJson = (json: string): string =>
  json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** A status carrying no domain error: a defect, or a failure that could not be encoded. */
export const internal = (): StatusResponse => ({
  code: grpc.status.INTERNAL,
  details: internalErrorMessage,
  metadata: new grpc.Metadata()
})

/** The status of a domain error, with the error itself in the "shop-error" trailer. */
export const fromDomainError = (error: DomainError): StatusResponse => {
  const encoded = encodeError(error)
  if (Exit.isFailure(encoded)) return internal()
  const metadata = new grpc.Metadata()
  metadata.set(errorMetadataKey, asciiJson(encoded.value))
  return { code: codeOf(error), details: error.message, metadata }
}

/**
 * The status of a failed handler: its domain error when it failed with one, CANCELLED when it was only
 * interrupted, and INTERNAL with a generic message for a defect.
 */
export const fromCause = (cause: Cause.Cause<DomainError>): StatusResponse => {
  if (Cause.hasDies(cause)) return internal()
  const error = Cause.findErrorOption(cause)
  if (Option.isSome(error)) return fromDomainError(error.value)
  if (Cause.hasInterrupts(cause)) {
    return { code: grpc.status.CANCELLED, details: "cancelled", metadata: new grpc.Metadata() }
  }
  return internal()
}

const decodeTrailer = (metadata: grpc.Metadata | undefined): Option.Option<DomainError> => {
  const value = metadata?.get(errorMetadataKey)[0]
  if (typeof value !== "string") return Option.none()
  const decoded = decodeError(value)
  return Exit.isSuccess(decoded) ? Option.some(decoded.value) : Option.none()
}

/**
 * The domain error of a failed call: the exact error from the "shop-error" trailer when the peer sent one,
 * otherwise the closest error for the status code. `service` names the peer in the errors made up here.
 */
export const toDomainError = (
  status: { readonly code: grpc.status; readonly details: string; readonly metadata?: grpc.Metadata | undefined },
  service: string
): DomainError => {
  const fromTrailer = decodeTrailer(status.metadata)
  if (Option.isSome(fromTrailer)) return fromTrailer.value
  const detail = status.details === "" ? codeName(status.code) : status.details
  switch (status.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.RESOURCE_EXHAUSTED:
    case grpc.status.CANCELLED:
      return new ServiceUnavailable({ service, detail })
    case grpc.status.DEADLINE_EXCEEDED:
      return new DeadlineExceeded({ service })
    case grpc.status.NOT_FOUND:
      return new NotFound({ entity: service, id: detail })
    case grpc.status.INVALID_ARGUMENT:
      return new ValidationError({ detail })
    case grpc.status.ALREADY_EXISTS:
      return new Conflict({ detail })
    case grpc.status.UNAUTHENTICATED:
      return new Unauthorized({ detail })
    case grpc.status.PERMISSION_DENIED:
      return new Forbidden({ detail })
    default:
      return new InternalError({ detail: `${service}: ${detail}` })
  }
}
