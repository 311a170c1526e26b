import { HttpServerResponse } from "effect/http"
import type { ApiError } from "./ApiError.ts"

/**
 * A response as status and serialised JSON. Idempotent replays send these bytes again, so a replay is identical to
 * the first answer down to key order.
 */
export interface Reply {
  readonly status: number
  readonly body: string
}

export const reply = (status: number, value: unknown): Reply => ({ status, body: JSON.stringify(value) })

export const errorReply = (error: ApiError): Reply => reply(error.status, error.body)

export const toResponse = (self: Reply, headers?: Record<string, string>) =>
  HttpServerResponse.text(self.body, {
    status: self.status,
    contentType: "application/json",
    ...(headers !== undefined && { headers })
  })

export const json = (status: number, value: unknown) => toResponse(reply(status, value))

export const errorResponse = (error: ApiError, headers?: Record<string, string>) =>
  toResponse(errorReply(error), headers)
