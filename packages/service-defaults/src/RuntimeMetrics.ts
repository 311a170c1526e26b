import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import { monitorEventLoopDelay, performance } from "node:perf_hooks"

const residentMemory = Metric.gauge("process_resident_memory_bytes", {
  description: "Resident memory size in bytes"
})
const heapUsed = Metric.gauge("nodejs_heap_used_bytes", { description: "V8 heap in use, in bytes" })
const cpuSeconds = Metric.gauge("process_cpu_seconds_total", {
  description: "User and system CPU time spent, in seconds"
})
const eventLoopLag = Metric.gauge("nodejs_eventloop_lag_p99_seconds", {
  description: "99th percentile of the event loop delay over the last sampling interval, in seconds; "
    + "0 while the event loop was idle (utilization under 2 %), when it is not measured"
})
const eventLoopUtilization = Metric.gauge("nodejs_eventloop_utilization", {
  description: "Share of the last sampling interval the event loop spent running code rather than waiting, 0 to 1"
})

/** What measures the event loop's delay: Node's `monitorEventLoopDelay`, whose timer ticks every 20 ms. */
export interface DelayMonitor {
  readonly enable: () => void
  readonly disable: () => void
  readonly reset: () => void
  /** In nanoseconds. */
  readonly percentile: (percentile: number) => number
}

export interface RuntimeMetricsOptions {
  /** How often the gauges are sampled. Default: 5 seconds. */
  readonly sampleEvery?: Duration.Input | undefined
  /** Event-loop utilization under which the delay is not measured. Default: 0.02. */
  readonly idleBelow?: number | undefined
  readonly monitor?: (() => DelayMonitor) | undefined
}

/**
 * Process saturation gauges (memory, CPU, event-loop utilization and lag), sampled every 5 seconds. Four gauges do
 * not justify a second metrics library next to Effect's `Metric`.
 *
 * The lag is measured only while the event loop is busy. Node measures it with a timer every 20 ms, and on the
 * platform's virtual machines each of those wake-ups of an idle process cost about 80 us of CPU: 4.2 ms a second per
 * process against 0.12 without it, over a third of an idle embedded platform's CPU over its five services. A process
 * whose event loop ran under 2 % of the last interval has no lag worth the measure; when it gets busier, the next
 * interval is measured again.
 */
export const makeRuntimeMetrics = (options: RuntimeMetricsOptions = {}) =>
  Layer.effectDiscard(Effect.gen(function*() {
    const idleBelow = options.idleBelow ?? 0.02
    const delays = options.monitor?.() ?? monitorEventLoopDelay({ resolution: 20 })
    let measuring = false
    let since = performance.eventLoopUtilization()
    yield* Effect.addFinalizer(() => Effect.sync(() => delays.disable()))
    const sample = Effect.gen(function*() {
      const memory = process.memoryUsage()
      const cpu = process.cpuUsage()
      const now = performance.eventLoopUtilization()
      const { utilization } = performance.eventLoopUtilization(now, since)
      since = now
      yield* Metric.update(residentMemory, memory.rss)
      yield* Metric.update(heapUsed, memory.heapUsed)
      yield* Metric.update(cpuSeconds, (cpu.user + cpu.system) / 1e6)
      yield* Metric.update(eventLoopUtilization, utilization)
      yield* Metric.update(eventLoopLag, measuring ? delays.percentile(99) / 1e9 : 0)
      delays.reset()
      const busy = utilization >= idleBelow
      if (busy !== measuring) {
        measuring = busy
        if (busy) delays.enable()
        else delays.disable()
      }
    })
    yield* sample.pipe(Effect.repeat(Schedule.spaced(options.sampleEvery ?? Duration.seconds(5))), Effect.forkScoped)
  }))

export const RuntimeMetricsLive = makeRuntimeMetrics()
