import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { asProblem } from "../Problem.ts"
import { Timestamp } from "../Timestamp.ts"

/** The health of one backend as seen from the gateway. */
export const BackendHealth = Schema.Struct({
  status: Schema.Literals(["up", "down"]),
  latency_ms: Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)),
  detail: Schema.optionalKey(Schema.String)
}).annotate({ identifier: "BackendHealth" })
export type BackendHealth = typeof BackendHealth.Type

/** Health of each backend, by service name (`product`, `order`, `payment`, `notification`...). */
export const BackendHealthMap = Schema.Record(Schema.String, BackendHealth)

/**
 * Response of `GET /healthz` when every required backend is up (`degraded`: an optional one is down). The public
 * port answers the status only; the health of each backend (`services`) is on the gateway's admin port
 * (`GET :9091/backends`), where internal names and latencies are not shown to the internet.
 */
export const HealthReport = Schema.Struct({
  status: Schema.Literals(["ok", "degraded"]),
  checked_at: Timestamp,
  services: Schema.optionalKey(BackendHealthMap)
}).annotate({ identifier: "HealthReport" })
export type HealthReport = typeof HealthReport.Type

/** A required backend is down: `GET /healthz` answers 503 (the admin port says which). */
export class Unhealthy extends Schema.TaggedError<Unhealthy>()("Unhealthy", {
  detail: Schema.String,
  checked_at: Timestamp,
  services: Schema.optionalKey(BackendHealthMap)
}, { httpApiStatus: 503 }) {
  override get message() {
    return this.detail
  }
}

/** `Unhealthy` as a problem (503). */
export const UnhealthyProblem = asProblem(Unhealthy, { title: "Unhealthy", status: 503 })

/** Health of the gateway and its backends; anonymous, for load balancers and probes. */
export class HealthApi extends HttpApiGroup.make("health")
  .add(
    HttpApiEndpoint.get("check", "/healthz", { success: HealthReport, error: UnhealthyProblem }).annotateMerge(
      OpenApi.annotations({ summary: "Health of the gateway and of each backend" })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Health", description: "Liveness of the gateway and its backends" }))
{}
