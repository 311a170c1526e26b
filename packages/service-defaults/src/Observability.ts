import { Config, Effect, Layer, Logger, LogLevel, References } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpSerialization, OtlpTracer } from "effect/observability"
import { jsonLogger } from "./JsonLogger.ts"

const LogLevelConfig = Config.Literals(LogLevel.values, "LOG_LEVEL").pipe(Config.withDefault("Info" as const))

/** JSON logs at `LOG_LEVEL`, written to stdout. */
export const LoggingLive = (service: string) =>
  Layer.mergeAll(
    Logger.layer([Logger.withConsoleLog(jsonLogger(service))]),
    Layer.effect(References.MinimumLogLevel, LogLevelConfig)
  )

/**
 * OTLP/HTTP trace export to `OTEL_EXPORTER_OTLP_ENDPOINT` (e.g. http://jaeger:4318). Without an endpoint no tracer is
 * installed: spans still exist in-process (their ids reach the logs and the propagation headers), nothing is exported.
 */
export const TracingLive = (service: string) =>
  Layer.unwrap(Effect.gen(function*() {
    const endpoint = yield* Config.String("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(Config.option)
    if (endpoint._tag === "None" || endpoint.value === "") return Layer.empty
    const serviceName = yield* Config.String("OTEL_SERVICE_NAME").pipe(Config.withDefault(service))
    return OtlpTracer.layer({
      url: `${endpoint.value.replace(/\/$/, "")}/v1/traces`,
      resource: { serviceName, serviceVersion: "0.1.0" },
      exportInterval: "1 second"
    }).pipe(Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer]))
  }))

/** Logging and tracing for one service; the only place that chooses exporters. */
export const ObservabilityLive = (service: string) => Layer.mergeAll(LoggingLive(service), TracingLive(service))
