import { Effect, Layer, Metric, Schedule } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"

const residentMemory = Metric.gauge("process_resident_memory_bytes", {
  description: "Resident memory size in bytes"
})
const heapUsed = Metric.gauge("nodejs_heap_used_bytes", { description: "V8 heap in use, in bytes" })
const cpuSeconds = Metric.gauge("process_cpu_seconds_total", {
  description: "User and system CPU time spent, in seconds"
})
const eventLoopLag = Metric.gauge("nodejs_eventloop_lag_p99_seconds", {
  description: "99th percentile of the event loop delay over the last sampling interval, in seconds"
})

/**
 * Process saturation gauges (memory, CPU, event-loop lag), sampled every 5 seconds. Four gauges do not justify a
 * second metrics library next to Effect's `Metric`.
 */
export const RuntimeMetricsLive = Layer.effectDiscard(Effect.gen(function*() {
  const histogram = monitorEventLoopDelay({ resolution: 20 })
  histogram.enable()
  yield* Effect.addFinalizer(() => Effect.sync(() => histogram.disable()))
  const sample = Effect.gen(function*() {
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    yield* Metric.update(residentMemory, memory.rss)
    yield* Metric.update(heapUsed, memory.heapUsed)
    yield* Metric.update(cpuSeconds, (cpu.user + cpu.system) / 1e6)
    yield* Metric.update(eventLoopLag, histogram.percentile(99) / 1e9)
    histogram.reset()
  })
  yield* sample.pipe(Effect.repeat(Schedule.spaced("5 seconds")), Effect.forkScoped)
}))
