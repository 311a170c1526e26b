import type * as grpc from "@grpc/grpc-js"
import { type Context, Metric } from "effect"
import { codeName } from "./GrpcStatus.ts"

/** Calls completed by the server, by service, method and status code name. */
export const handledTotal = Metric.counter("grpc_server_handled_total", {
  description: "Total number of RPCs completed on the server, regardless of success or failure.",
  incremental: true
})

/** Handling latency of calls on the server, in seconds. */
export const handlingSeconds = Metric.histogram("grpc_server_handling_seconds", {
  description: "Histogram of response latency (seconds) of gRPC calls handled by the server.",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
})

/** Records the outcome of one method's calls; the labelled series are built once per method and code. */
export interface MethodMetrics {
  readonly record: (code: grpc.status, seconds: number, context: Context.Context<never>) => void
}

export const forMethod = (service: string, method: string): MethodMetrics => {
  const latency = Metric.withAttributes(handlingSeconds, { service, method })
  const byCode = new Map<grpc.status, Metric.Counter<number>>()
  return {
    record: (code, seconds, context) => {
      let handled = byCode.get(code)
      if (handled === undefined) {
        handled = Metric.withAttributes(handledTotal, { service, method, code: codeName(code) })
        byCode.set(code, handled)
      }
      // Called from a grpc-js callback after the handler fiber ended, hence the unsafe variants.
      handled.updateUnsafe(1, context)
      latency.updateUnsafe(seconds, context)
    }
  }
}
