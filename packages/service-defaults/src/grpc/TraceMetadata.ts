import * as grpc from "@grpc/grpc-js"
import { Context, Option, type Tracer } from "effect"
import { Headers, HttpTraceContext } from "effect/http"

/**
 * The W3C `tracestate` received with the call being served. Effect spans have no trace state of their own, so
 * the server keeps the incoming one here and outgoing calls forward it unchanged.
 */
export const CurrentTraceState = Context.Reference<string | undefined>("service-defaults/grpc/CurrentTraceState", {
  defaultValue: () => undefined
})

// The carriers HttpTraceContext understands: W3C first, then both B3 forms.
const propagationKeys = ["traceparent", "b3", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-b3-flags"] as const

const firstString = (metadata: grpc.Metadata, key: string): string | undefined => {
  const value = metadata.get(key)[0]
  return typeof value === "string" ? value : undefined
}

/** The `traceparent` header value of a span. */
export const traceparent = (span: Tracer.AnySpan): string =>
  `00-${span.traceId.padStart(32, "0")}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** Writes `traceparent` (and `tracestate` when there is one) of `span` into `metadata`. */
export const inject = (
  metadata: grpc.Metadata,
  span: Tracer.AnySpan,
  traceState?: string | undefined
): grpc.Metadata => {
  metadata.set("traceparent", traceparent(span))
  if (traceState !== undefined && traceState !== "") metadata.set("tracestate", traceState)
  return metadata
}

/** The remote parent span of an incoming call, from `traceparent` (or B3) metadata. */
export const extract = (metadata: grpc.Metadata): Option.Option<Tracer.ExternalSpan> => {
  const record: Record<string, string> = {}
  for (const key of propagationKeys) {
    const value = firstString(metadata, key)
    if (value !== undefined) record[key] = value
  }
  return HttpTraceContext.fromHeaders(Headers.fromRecordUnsafe(record))
}

/** The incoming `tracestate`, if any. */
export const extractTraceState = (metadata: grpc.Metadata): string | undefined => firstString(metadata, "tracestate")
