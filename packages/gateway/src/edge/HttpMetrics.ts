import { Metric } from "effect"

/** Requests answered by the gateway, by method, route template and status. */
export const requestsTotal = Metric.counter("http_requests_total", {
  description: "Total number of HTTP requests answered by the gateway.",
  incremental: true
})

/** Time to answer a request, in seconds, by method, route template and status. */
export const requestDuration = Metric.histogram("http_request_duration_seconds", {
  description: "Histogram of HTTP request latency (seconds) at the gateway.",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
})

/** Routes served outside the API contract; any other unmatched path is counted as `unmatched`. */
export const staticRoutes = new Set(["/openapi.json", "/docs"])
