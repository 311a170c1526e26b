/** Stand-in for k6's `k6` module in tests: `check` evaluates every predicate and records the outcomes. */
export const checks: Array<{ readonly name: string; readonly passed: boolean }> = []

export const check = <R>(value: R, predicates: Record<string, (value: R) => boolean>) => {
  let all = true
  for (const [name, predicate] of Object.entries(predicates)) {
    const passed = predicate(value)
    checks.push({ name, passed })
    all &&= passed
  }
  return all
}

export const sleep = (_seconds: number) => undefined
