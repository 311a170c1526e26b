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

/** Requests the hot path answered (HotPath.ts): a share of `http_requests_total`, which counts them too. */
export const hotPathAnswers = Metric.counter("gateway_hot_path_answers_total", {
  description: "Catalog reads answered by the gateway's hot path from an encoded cached answer.",
  incremental: true
})

/** Routes served outside the API contract; any other unmatched path is counted as `unmatched`. */
export const staticRoutes = new Set(["/openapi.json", "/docs"])

/** The two series of one (method, route, status), made once and reused: labelling a metric costs an allocation. */
export interface RequestSeries {
  readonly count: Metric.Counter<number>
  readonly duration: Metric.Histogram<number>
}

/** A lookup of the series of a (method, route, status), remembered per process. */
export const requestSeries = (): (method: string, route: string, status: number) => RequestSeries => {
  const series = new Map<string, RequestSeries>()
  return (method, route, status) => {
    const key = `${method} ${route} ${status}`
    let found = series.get(key)
    if (found === undefined) {
      const attributes = { method, route, status: String(status) }
      found = {
        count: Metric.withAttributes(requestsTotal, attributes),
        duration: Metric.withAttributes(requestDuration, attributes)
      }
      series.set(key, found)
    }
    return found
  }
}
