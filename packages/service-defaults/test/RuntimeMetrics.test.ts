import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric } from "effect"
import { type DelayMonitor, makeRuntimeMetrics } from "../src/RuntimeMetrics.ts"

const gauge = (name: string) =>
  Effect.map(Metric.snapshot, (metrics) => {
    const found = metrics.find((metric) => metric.id === name)
    return found === undefined ? undefined : (found.state as { readonly value: number }).value
  })

/** A delay monitor that records whether it is on, for the test to see when the 20 ms timer would tick. */
const recordingMonitor = () => {
  const state = { on: false, enabled: 0 }
  const monitor: DelayMonitor = {
    enable: () => {
      state.on = true
      state.enabled++
    },
    disable: () => void (state.on = false),
    reset: () => undefined,
    percentile: () => 0
  }
  return { state, monitor }
}

/** Keeps the event loop busy for `millis` out of every `millis + 5`, for `forMillis`. */
const busy = (millis: number, forMillis: number) =>
  Effect.gen(function*() {
    const end = performance.now() + forMillis
    while (performance.now() < end) {
      const until = performance.now() + millis
      while (performance.now() < until) {
        // spinning
      }
      yield* Effect.sleep("5 millis")
    }
  })

describe("RuntimeMetrics", () => {
  it.live("measures no event-loop delay while the loop is idle: its 20 ms timer is off", () =>
    Effect.gen(function*() {
      const { state, monitor } = recordingMonitor()
      // Samples every 250 ms, "idle" under 10 %: a test worker on a loaded machine is never as idle as a service.
      const idleBelow = 0.1
      yield* Layer.build(makeRuntimeMetrics({ sampleEvery: "250 millis", idleBelow, monitor: () => monitor }))
      yield* Effect.sleep("700 millis")
      assert.isFalse(state.on)
      assert.strictEqual(yield* gauge("nodejs_eventloop_lag_p99_seconds"), 0)
      assert.isBelow((yield* gauge("nodejs_eventloop_utilization"))!, idleBelow)
      // Busy: measured from the next interval on.
      yield* busy(30, 800)
      assert.isTrue(state.on)
      assert.isAbove((yield* gauge("nodejs_eventloop_utilization"))!, 0.5)
      // Idle again: off again.
      yield* Effect.sleep("800 millis")
      assert.isFalse(state.on)
      assert.isAtMost(state.enabled, 2)
    }).pipe(Effect.scoped))

  it.live("reports the delay of a busy event loop with Node's monitor", () =>
    Effect.gen(function*() {
      yield* Layer.build(makeRuntimeMetrics({ sampleEvery: "200 millis" }))
      yield* busy(60, 900)
      // Turns of 60 ms hold back the monitor's 20 ms ticks by up to 60 ms.
      const lag = (yield* gauge("nodejs_eventloop_lag_p99_seconds"))!
      assert.isAbove(lag, 0.03)
      assert.isBelow(lag, 1)
    }).pipe(Effect.scoped))
})
