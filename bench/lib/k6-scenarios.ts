/**
 * The k6 scenarios (tests/load/k6/scenarios.json) as the project's own benches run them: the same arrival-rate
 * stages and the same thresholds, evaluated on the bench's own measurements.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import type { Latency, Stage } from "./load.ts"

export interface K6Scenario {
  readonly startRate: number
  readonly stages: ReadonlyArray<Stage>
  readonly thresholds: Readonly<Record<string, ReadonlyArray<string>>>
  readonly searchTerms?: ReadonlyArray<string>
  readonly searchFilters?: ReadonlyArray<string>
  readonly searchShare?: number
}

const file = resolve(import.meta.dirname, "../../tests/load/k6/scenarios.json")

/** "30s", "2m", "1m30s", "500ms" in seconds. */
export const durationSeconds = (text: string) => {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`not a k6 duration: ${text}`)
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 } as const
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0)
}

/** A scenario of the file; `rateScale` multiplies every rate (printed with the results, never silent). */
export const k6Scenario = (name: "catalog" | "orders", rateScale = 1): K6Scenario => {
  const raw = (JSON.parse(readFileSync(file, "utf8")) as Record<string, {
    readonly startRate: number
    readonly stages: ReadonlyArray<{ readonly duration: string; readonly target: number }>
    readonly thresholds: Record<string, ReadonlyArray<string>>
  }>)[name]
  if (raw === undefined) throw new Error(`no scenario ${name} in ${file}`)
  return {
    ...raw,
    startRate: raw.startRate * rateScale,
    stages: raw.stages.map((stage) => ({
      durationS: durationSeconds(stage.duration),
      target: stage.target * rateScale
    }))
  }
}

/** A latency summary as a k6 trend metric: `p(50)`, `p(95)`, `p(99)`, `med`, `max`. */
export const latencyOf = (latency: Latency | undefined) => (aggregation: string) =>
  latency === undefined ? undefined : ({
    "p(50)": latency.p50,
    med: latency.p50,
    "p(95)": latency.p95,
    "p(99)": latency.p99,
    max: latency.max
  } as Record<string, number>)[aggregation]

/** Whether a measured value satisfies a k6 threshold expression such as `p(95)<100` or `rate<0.01`. */
export const meets = (expression: string, measured: (aggregation: string) => number | undefined) => {
  const match = /^\s*(p\(\d+(?:\.\d+)?\)|rate|avg|min|max|med|count)\s*(<=|>=|<|>|==)\s*(\d+(?:\.\d+)?)\s*$/.exec(
    expression
  )
  if (match === null) throw new Error(`threshold not understood: ${expression}`)
  const value = measured(match[1]!)
  if (value === undefined) return { value, ok: false }
  const bound = Number(match[3])
  const ok =
    { "<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound, "==": value === bound }[
      match[2] as "<"
    ]
  return { value, ok }
}

/**
 * Prints every threshold with what the bench measured for it; `metrics` maps a k6 metric name (with its tag filter)
 * to the aggregation it supports. Answers whether all are met.
 */
export const reportThresholds = (
  scenario: K6Scenario,
  metrics: Record<string, (aggregation: string) => number | undefined>
) => {
  let all = true
  for (const [metric, expressions] of Object.entries(scenario.thresholds)) {
    for (const expression of expressions) {
      const measure = metrics[metric]
      const { ok, value } = measure === undefined ? { ok: false, value: undefined } : meets(expression, measure)
      all &&= ok
      const shown = value === undefined ? "not measured" : Number.isInteger(value) ? String(value) : value.toFixed(3)
      console.log(`  threshold ${metric} ${expression}: ${ok ? "met" : "NOT met"} (${shown})`)
    }
  }
  return all
}
