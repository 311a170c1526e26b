/**
 * The services' event loops while a bench measures: each service's `nodejs_eventloop_utilization` and
 * `nodejs_eventloop_lag_p99_seconds` (gauges its admin port updates every 5 s), read every 5 s. A service whose loop
 * is near 1 is the one a latency waits for; a lag p99 of tens of milliseconds is time every request of that process
 * may wait before it runs (garbage collections, long turns, a core not free).
 */
import { metricMax } from "./bench-setup.ts"

export interface EventLoopReading {
  readonly service: string
  /** Mean of the utilization readings, 0 to 1. */
  readonly utilization: number
  /** Largest lag p99 read, in milliseconds. */
  readonly lagP99Millis: number
  readonly readings: number
}

export const startEventLoopSampler = (
  admins: ReadonlyArray<{ readonly service: string; readonly urls: ReadonlyArray<string> }>
) => {
  const readings = new Map<string, { utilizations: Array<number>; lag: number }>()
  const read = async () => {
    await Promise.all(admins.map(async ({ service, urls }) => {
      const utilization = await metricMax(urls, "nodejs_eventloop_utilization")
      const lag = await metricMax(urls, "nodejs_eventloop_lag_p99_seconds")
      if (utilization === undefined) return
      const reading = readings.get(service) ?? { utilizations: [], lag: 0 }
      reading.utilizations.push(utilization)
      reading.lag = Math.max(reading.lag, lag ?? 0)
      readings.set(service, reading)
    })).catch(() => undefined) // a service restarting between reads is not the bench's failure
  }
  const timer = setInterval(() => void read(), 5_000)
  return {
    /** A reading now, besides those every 5 s. */
    readNow: read,
    stop: (): Array<EventLoopReading> => {
      clearInterval(timer)
      // In the order the services were given, whatever order their readings came back in.
      return admins.flatMap(({ service }) => {
        const reading = readings.get(service)
        if (reading === undefined) return []
        const { utilizations, lag } = reading
        return [{
          service,
          utilization: utilizations.reduce((sum, u) => sum + u, 0) / utilizations.length,
          lagP99Millis: lag * 1000,
          readings: utilizations.length
        }]
      })
    }
  }
}

export const formatEventLoops = (readings: ReadonlyArray<EventLoopReading>) =>
  readings.length === 0
    ? "event loops: no readings (a run shorter than 5 s)"
    : "event loops while measured (every 5 s): " +
      readings.map((r) =>
        `${r.service} ${(r.utilization * 100).toFixed(0)} % busy, lag p99 up to ${r.lagP99Millis.toFixed(0)} ms`
      ).join("; ")
