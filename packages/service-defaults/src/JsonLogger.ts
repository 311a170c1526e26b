import { Cause, Context, Logger, Option, Tracer } from "effect"

/**
 * One JSON object per line with `level`, `time`, `service`, `message`, `trace_id` and `span_id`, so that a log line
 * can be joined to its trace. Annotations are merged in as top-level fields.
 */
export const jsonLogger = (service: string) =>
  Logger.make(({ cause, date, fiber, logLevel, message }) => {
    const structured = Logger.formatStructured.log({ cause: Cause.empty, date, fiber, logLevel, message })
    const span = Option.getOrUndefined(Context.getOption(fiber.context, Tracer.ParentSpan))
    const line: Record<string, unknown> = {
      level: logLevel.toLowerCase(),
      time: date.toISOString(),
      service,
      message: flatten(structured.message),
      ...structured.annotations
    }
    if (span !== undefined) {
      line.trace_id = span.traceId
      line.span_id = span.spanId
    }
    if (cause.reasons.length > 0) line.cause = Cause.pretty(cause)
    return JSON.stringify(line)
  })

/** `Effect.log("applied migration", id)` reads better as one string than as an array. */
const flatten = (message: unknown) =>
  Array.isArray(message)
    ? message.map((part) => typeof part === "string" ? part : JSON.stringify(part)).join(" ")
    : message
